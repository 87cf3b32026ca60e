"""A class's marks: a row per student, a column per assignment, totals and percentages.

The CSV gradebook, the class report, the terminal summary and ``--fail-under``
all read this one table, so they agree on what a student's total is:
the sum of their scores (bonus included) out of the maximum of every
assignment graded in the run; an assignment a student did not hand in counts 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Assignment:
    id: str
    title: str
    max_score: float


@dataclass
class Row:
    student: str
    scores: dict[str, float] = field(default_factory=dict)   # graded assignments only
    total: float = 0.0
    percent: float = 0.0
    problems: list[str] = field(default_factory=list)
    duration: float = 0.0

    @property
    def graded(self) -> bool:
        """At least one assignment was graded and nothing failed to grade."""
        return bool(self.scores) and not self.problems


@dataclass
class Gradebook:
    assignments: list[Assignment]
    rows: list[Row]

    @property
    def maximum(self) -> float:
        return round(sum(a.max_score for a in self.assignments), 4)


def grading_failed(test) -> bool:
    return test.grader_error


def not_handed_in(test) -> bool:
    """The test needed a file the student did not hand in (the engine's wording)."""
    return not test.passed and test.reason.endswith("was not handed in")


def build(results) -> Gradebook:
    assignments: dict[str, Assignment] = {}
    rows: dict[str, Row] = {}
    problems: dict[str, dict[str, list[str]]] = {}     # student -> problem -> assignments
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        row = rows.setdefault(r.student, Row(r.student))
        row.duration += r.duration
        theirs = problems.setdefault(r.student, {})
        if r.assignment:
            known = assignments.setdefault(r.assignment, Assignment(r.assignment, r.title, r.max_score))
            known.max_score = max(known.max_score, r.max_score)
        if r.error:
            theirs.setdefault(r.error, []).append(r.assignment)
            continue
        row.scores[r.assignment] = r.score
        broken = sum(1 for t in r.tests if grading_failed(t))
        if broken:
            theirs.setdefault(f"{broken} test{'s' if broken > 1 else ''} could not be graded", []).append(r.assignment)
    book = Gradebook(sorted(assignments.values(), key=lambda a: a.id), list(rows.values()))
    for row in book.rows:
        row.total = round(sum(row.scores.values()), 4)
        row.percent = round(100 * row.total / book.maximum, 2) if book.maximum else 0.0
        # A zip that cannot be opened fails every assignment alike: say it once.
        row.problems = [f"{where[0]}: {text}" if len(where) == 1 and where[0] else text
                        for text, where in problems[row.student].items()]
    return book


def below(book: Gradebook, percent: float) -> list[Row]:
    """Students under ``percent`` of the maximum, or who could not be fully graded."""
    return [row for row in book.rows if row.percent < percent or not row.graded]


def points(value: float) -> str:
    return f"{value:g}"
