"""A class's marks: a row per student, a column per assignment, totals and percentages.

The CSV gradebook, the class report, the terminal summary, the LMS imports and
``--fail-under`` all read this one table, so they agree on what a student's
mark is. With a course file (``grader/input/config.py``) the percent is over the
course's assignments, each weighed by its ``weight`` (default: its points), and
one not handed in counts 0; without one, over the run's assignments (``over``
says which). Bonus points are shown apart and count per the course's bonus
policy (default: capped, so a percent never passes 100). Penalties (late work,
a file graded under another name) take a share of the assignment's points.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from grader.input.config import BonusPolicy, Config, LatePolicy
from grader.results import Status


@dataclass
class Assignment:
    id: str
    title: str
    max_score: float
    weight: float | None = None            # None: its points
    due: dt.datetime | None = None
    canvas_id: str = ""                    # Canvas's id of the assignment, for the import's column

    @property
    def counts(self) -> float:
        return self.max_score if self.weight is None else self.weight


@dataclass(frozen=True)
class Course:
    """What the gradebook needs of the course file, its specs resolved."""
    columns: tuple[Assignment, ...] = ()    # empty: the run's assignments
    bonus: BonusPolicy = BonusPolicy.CAP
    misnamed_penalty: float = 0.0
    late: LatePolicy = LatePolicy()
    extensions: dict = field(default_factory=dict)      # student -> assignment id -> due
    similar: dict = field(default_factory=dict)         # student -> "similar to X (...)" (``similar_from``)


SIMILAR_FLAG = 0.6     # a pair at least this alike (or identical) is named in both students' problems


def similar_from(pairs) -> dict[str, list[str]]:
    """The students to name as alike, from `grade similar --json`'s pairs."""
    named: dict[str, list[str]] = {}
    for pair in pairs:
        if not (pair.get("identical") or pair.get("similarity", 0) >= SIMILAR_FLAG):
            continue
        what = " ".join(filter(None, (pair.get("spec"), pair.get("role"))))
        how = "identical" if pair.get("identical") else f"{pair['similarity']:.0%}"
        named.setdefault(pair["a"], []).append(f"similar to {pair['b']} ({what}, {how})")
        named.setdefault(pair["b"], []).append(f"similar to {pair['a']} ({what}, {how})")
    return named


def course_from(config: Config, specs) -> Course:
    """The gradebook's course from a course file and the specs its assignments resolved to (in order)."""
    columns, extensions = [], {}
    for number, (entry, spec) in enumerate(zip(config.assignments, specs)):
        columns.append(Assignment(spec.id, entry.title or spec.title, spec.max_score, entry.weight, entry.due,
                                  entry.canvas_id))
        for student, dues in config.extensions.items():
            if number in dues:
                extensions.setdefault(student, {})[spec.id] = dues[number]
    return Course(tuple(columns), config.bonus, config.misnamed_penalty, config.late, extensions)


@dataclass
class Row:
    student: str
    scores: dict[str, float] = field(default_factory=dict)   # graded assignments: points after penalties
    total: float = 0.0
    percent: float = 0.0
    problems: list[str] = field(default_factory=list)
    duration: float = 0.0
    bonus: float = 0.0                     # bonus points earned, counted or not per the policy
    failed: int = 0                        # tests failed, bonus tests not counted
    penalties: dict[str, list[str]] = field(default_factory=dict)   # assignment -> what was taken and why
    student_id: str = ""
    incomplete: bool = False               # a submission or a test could not be graded
    absent: set[str] = field(default_factory=set)                   # assignments not handed in

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

    @property
    def maximum(self) -> float:
        return round(sum(a.max_score for a in self.assignments), 4)

    @property
    def basis(self) -> str:
        """What the percent is taken over, for a header."""
        where = "the course's" if self.over == "course" else "this run's"
        weighed = "by weight" if any(a.weight is not None for a in self.assignments) else "by points"
        capped = {BonusPolicy.CAP: "bonus capped at 100%", BonusPolicy.COUNT: "bonus counted past 100%",
                  BonusPolicy.IGNORE: "bonus not counted"}[self.bonus]
        return f"percent over {where} {len(self.assignments)} assignments, {weighed}, {capped}"


NOT_HANDED_IN = "not handed in"       # the words a row's problems use


def grading_failed(test) -> bool:
    return test.status is Status.GRADING_FAILED


def not_handed_in(test) -> bool:
    """The test needed a file the student did not hand in."""
    return test.status is Status.NOT_HANDED_IN


def build(results, course: Course | None = None) -> Gradebook:
    course = course or Course()
    rows: dict[str, Row] = {}
    errors: dict[str, dict[str, list[str]]] = {}     # student -> why not gradable -> assignments
    seen: dict[str, Assignment] = {}
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        row = rows.setdefault(r.student, Row(r.student))
        row.duration += r.duration
        row.student_id = row.student_id or r.student_id
        if r.assignment:
            known = seen.setdefault(r.assignment, Assignment(r.assignment, r.title, r.max_score))
            known.max_score = max(known.max_score, r.max_score)
        _add(row, r, course, errors.setdefault(r.student, {}))
    columns = list(course.columns) or sorted(seen.values(), key=lambda a: a.id)
    book = Gradebook(columns, list(rows.values()), "course" if course.columns else "run", course.bonus)
    for row in book.rows:
        # A zip that cannot be opened fails every assignment alike: said once, without them.
        theirs = errors.get(row.student, {})
        row.problems[:0] = [f"{where[0]}: {text}" if len(where) == 1 and where[0] else text
                            for text, where in theirs.items()]
        failed = {a for where in theirs.values() for a in where}
        row.absent |= {a.id for a in columns if a.id not in row.scores and a.id not in failed}
        missing = [a.id for a in columns if a.id in row.absent and a.id not in failed]
        if missing:                                   # one problem, the assignments listed
            row.problems.append(f"{NOT_HANDED_IN}: {', '.join(missing)}")
        row.problems += course.similar.get(row.student, [])
        row.total = round(sum(row.scores.get(a.id, 0.0) for a in columns), 4)
        row.percent = _percent(row, columns, course.bonus)
        row.problems = _merged(row.problems)
    return book


def _add(row: Row, r, course: Course, errors: dict[str, list[str]]) -> None:
    row.problems += [f"{r.assignment}: {why}" for why in r.left_out]     # links not graded, whatever the grade
    if r.ungraded:
        errors.setdefault(r.error, []).append(r.assignment)
        row.incomplete = True
        return
    if r.status is Status.NOT_HANDED_IN:
        row.scores[r.assignment] = 0.0                         # build() says "not handed in"
        row.absent.add(r.assignment)
        return
    base = sum(t.points for t in r.tests if not t.bonus)
    bonus = sum(t.points for t in r.tests if t.bonus)
    row.bonus = round(row.bonus + bonus, 4)
    row.failed += sum(1 for t in r.tests if not t.passed and not t.bonus)
    taken = []
    for role, used in sorted(r.misnamed.items()):
        cost = f"; -{course.misnamed_penalty:g}%" if course.misnamed_penalty else ""
        taken.append((course.misnamed_penalty, f"{used} graded as the {role} (its name should be one of the "
                                               f"spec's{cost})"))
    late = _late(r, course)
    if late:
        taken.append(late)
    share = min(100.0, sum(percent for percent, _ in taken))
    earned = base + (0 if course.bonus == BonusPolicy.IGNORE else bonus)
    row.scores[r.assignment] = round(max(0.0, earned - r.max_score * share / 100), 4)
    if taken:
        row.penalties[r.assignment] = [why for _, why in taken]
        row.problems += [f"{r.assignment}: {why}" for _, why in taken]
    broken = sum(1 for t in r.tests if grading_failed(t))
    if broken:
        row.incomplete = True
        row.problems.append(f"{r.assignment}: {broken} test{'s' if broken > 1 else ''} could not be graded")


def _late(r, course: Course) -> tuple[float, str] | None:
    due = course.extensions.get(r.student, {}).get(r.assignment) or \
        next((a.due for a in course.columns if a.id == r.assignment), None)
    if not due or not r.submitted_at:
        return None
    try:
        submitted = dt.datetime.fromisoformat(r.submitted_at)
    except ValueError:
        return None
    if submitted.tzinfo is None:
        submitted = submitted.astimezone()
    late = submitted - due - dt.timedelta(minutes=course.late.grace_minutes)
    if late <= dt.timedelta(0):
        return None
    days = math.ceil(late / dt.timedelta(days=1))
    when = f"handed in {submitted.isoformat(timespec='minutes')}, due {due.isoformat(timespec='minutes')}"
    if course.late.max_days is not None and late > dt.timedelta(days=course.late.max_days):
        return 100.0, f"{days} days late ({when}; later than {course.late.max_days:g} days: no points)"
    percent = min(100.0, days * course.late.per_day)
    return percent, f"{days} day{'s' if days > 1 else ''} late ({when}; -{percent:g}%)"


def _percent(row: Row, columns: list[Assignment], bonus: BonusPolicy) -> float:
    weights = sum(a.counts for a in columns)
    if not weights:
        return 0.0
    share = sum(a.counts * row.scores.get(a.id, 0.0) / a.max_score for a in columns if a.max_score)
    percent = 100 * share / weights
    return round(min(percent, 100.0) if bonus == BonusPolicy.CAP else percent, 2)


def _merged(problems: list[str]) -> list[str]:
    """Each problem once."""
    seen, kept = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            kept.append(p)
    return kept


def penalised(book: Gradebook) -> dict[tuple[str, str], tuple[list[str], float]]:
    """(student, assignment) -> (what was taken and why, the points left), for those cut."""
    return {(row.student, a): (why, row.scores[a]) for row in book.rows for a, why in row.penalties.items()}


def below(book: Gradebook, percent: float) -> list[Row]:
    """Students under ``percent``, or who could not be fully graded."""
    return [row for row in book.rows if row.percent < percent or not row.graded]


def points(value: float) -> str:
    return f"{value:g}"
