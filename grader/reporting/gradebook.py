"""A class's marks: a row per student, a column per assignment, totals and percentages.

``grader.grading.marking`` makes the gradebook once a run, under the course's policies; the CSV
gradebook, the class report, the terminal summary, the LMS imports, the feedback, the penalties in
JSON and JUnit, and ``--fail-under`` all read that one, so they agree on what a student's mark is.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from grader.input.course_schema import BonusPolicy
from grader.results import Status


@dataclass
class Assignment:
    id: str
    title: str
    max_score: float
    weight: float | None = None            # None: its points
    due: dt.datetime | None = None
    canvas_id: str = ""                    # Canvas's id of the assignment, for the import's column


@dataclass(frozen=True)
class Lost:
    """A failed test, as a comment to the student names it: its points lost and its reason."""
    test: str
    points: float
    hidden: bool = False             # a hidden test: its name and points, never its reason
    reason: str = ""


@dataclass
class Row:
    student: str
    scores: dict[str, float] = field(default_factory=dict)   # graded assignments: points after penalties
    total: float = 0.0
    percent: float = 0.0                   # rounded by ``grader.grading.standing``, as every output shows it
    percents: dict[str, float] = field(default_factory=dict)        # assignment -> its percent, rounded alike
    problems: list[str] = field(default_factory=list)
    duration: float = 0.0
    bonus: float = 0.0                     # bonus points earned, counted or not per the policy
    failed: int = 0                        # tests failed, bonus tests not counted
    penalties: dict[str, list[str]] = field(default_factory=dict)   # assignment -> what was taken and why
    student_id: str = ""
    incomplete: bool = False               # a submission or a test could not be graded
    not_graded: list[str] = field(default_factory=list)             # why, those of its problems
    absent: set[str] = field(default_factory=set)                   # assignments not handed in
    forms: dict[str, str] = field(default_factory=dict)             # assignment -> "server in C", where chosen
    lost: dict[str, list[Lost]] = field(default_factory=dict)       # assignment -> its failed tests

    @property
    def form_words(self) -> str:
        """The forms the student handed in, "server in C" (with its assignment when there are several)."""
        if len(self.forms) == 1:
            return next(iter(self.forms.values()))
        return "; ".join(f"{a}: {words}" for a, words in sorted(self.forms.items()))

    @property
    def graded(self) -> bool:
        """At least one assignment was graded and nothing failed to grade."""
        return bool(self.scores) and not self.incomplete


@dataclass
class Gradebook:
    assignments: list[Assignment]
    rows: list[Row]
    over: str = "run"                      # "course": the course file's assignments; "run": this run's
    bonus: BonusPolicy = BonusPolicy.CAP
    from_course: bool = False              # marked with a course (a course file's, or --similar's alone)

    @property
    def has_forms(self) -> bool:
        """Whether a student of the book chose the form of a role (a column says which)."""
        return any(row.forms for row in self.rows)

    @property
    def maximum(self) -> float:
        return round(sum(a.max_score for a in self.assignments), 4)

    @property
    def could_not_be_graded(self) -> list[Row]:
        """The students a grading failed for, in whole or in part (``grader.grading.standing``)."""
        return [row for row in self.rows if row.incomplete]

    @property
    def missing_work(self) -> list[Row]:
        """The students who did not hand in every assignment."""
        return [row for row in self.rows if row.absent]

    @property
    def basis(self) -> str:
        """What the percent is taken over, for a header."""
        where = "the course's" if self.over == "course" else "this run's"
        weighed = "by weight" if any(a.weight is not None for a in self.assignments) else "by points"
        capped = {BonusPolicy.CAP: "bonus capped at 100%", BonusPolicy.COUNT: "bonus counted past 100%",
                  BonusPolicy.IGNORE: "bonus not counted"}[self.bonus]
        return f"percent over {where} {len(self.assignments)} assignments, {weighed}, {capped}"


def grading_failed(test) -> bool:
    return test.status is Status.GRADING_FAILED


def not_handed_in(test) -> bool:
    """The test needed a file the student did not hand in."""
    return test.status is Status.NOT_HANDED_IN


def penalised(book: Gradebook) -> dict[tuple[str, str], tuple[list[str], float]]:
    """(student, assignment) -> (what was taken and why, the points left), for those cut; none
    without a course."""
    if not book.from_course:
        return {}
    return {(row.student, a): (why, row.scores[a]) for row in book.rows for a, why in row.penalties.items()}


def below(book: Gradebook, percent: float) -> list[Row]:
    """Students under ``percent``, or who could not be fully graded."""
    return [row for row in book.rows if row.percent < percent or not row.graded]


def points(value: float) -> str:
    return f"{value:g}"


def percent(value: float) -> str:
    """A student's percent as every output writes it: the one decimal ``marking`` rounded it to."""
    return f"{value:.1f}"
