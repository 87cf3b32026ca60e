"""Marking a class: its results made into the gradebook (``grader.reporting.gradebook``) under the course's
policies, once a run; every reporter then shows that one gradebook.

With a course file (``grader/input/config.py``) the percent is over the course's assignments, each
weighed by its ``weight`` (default: its points), and one not handed in counts 0; without one, over
the run's assignments (``over`` says which). Bonus points are shown apart and count per the course's
bonus policy (default: capped, so a percent never passes 100). Penalties (late work, a file graded
under another name) take a share of the assignment's points.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from grader.input.config import Config, LatePolicy
from grader.input.course_schema import BonusPolicy
from grader.grading import standing
from grader.reporting import causes
from grader.reporting.gradebook import Assignment, Gradebook, Lost, Row, grading_failed
from grader.results import Status


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


NOT_HANDED_IN = "not handed in"       # the words a row's problems use


def build(results, course: Course | None = None) -> Gradebook:
    """The gradebook of ``results``: marked under ``course``'s policies, or over the run's assignments."""
    given, course = course is not None, course or Course()
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
    book = Gradebook(columns, list(rows.values()), "course" if course.columns else "run", course.bonus,
                     from_course=given)
    for row in book.rows:
        # A zip that cannot be opened fails every assignment alike: said once, without them.
        theirs = errors.get(row.student, {})
        row.not_graded[:0] = [f"{where[0]}: {text}" if len(where) == 1 and where[0] else text
                              for text, where in theirs.items()]
        row.problems[:0] = row.not_graded
        failed = {a for where in theirs.values() for a in where}
        row.absent |= {a.id for a in columns if a.id not in row.scores and a.id not in failed}
        missing = [a.id for a in columns if a.id in row.absent and a.id not in failed]
        if missing:                                   # one problem, the assignments listed
            row.problems.append(f"{NOT_HANDED_IN}: {', '.join(missing)}")
        row.problems += course.similar.get(row.student, [])
        row.total = round(sum(row.scores.get(a.id, 0.0) for a in columns), 4)
        row.percent = _percent(row, columns, course.bonus)
        row.percents = {a.id: standing.percent(100 * row.scores[a.id] / a.max_score)
                        for a in columns if a.id in row.scores and a.max_score}
        row.problems = _merged(row.problems)
    return book


def _add(row: Row, r, course: Course, errors: dict[str, list[str]]) -> None:
    row.problems += [f"{r.assignment}: {why}" for why in r.left_out]     # links not graded, whatever the grade
    if r.forms:
        row.forms[r.assignment] = r.form_words
    row.incomplete |= standing.could_not_grade(r)
    if r.ungraded:
        errors.setdefault(r.error, []).append(r.assignment)
        return
    if r.status is Status.NOT_HANDED_IN:
        row.scores[r.assignment] = 0.0                         # build() says "not handed in"
        row.absent.add(r.assignment)
        return
    base = sum(t.points for t in r.tests if not t.bonus)
    bonus = sum(t.points for t in r.tests if t.bonus)
    row.bonus = round(row.bonus + bonus, 4)
    failed = standing.failed_tests(r)
    row.failed += len(failed)
    follows = causes.followers(r)
    row.lost[r.assignment] = [Lost(t.name, round(t.max_points - t.points, 4), t.hidden,
                                   f"same cause as “{follows[t.name]}”" if t.name in follows else t.reason)
                              for t in failed]
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
        row.not_graded.append(f"{r.assignment}: {broken} test{'s' if broken > 1 else ''} could not be graded")
        row.problems.append(row.not_graded[-1])


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
    weights = sum(_weight(a) for a in columns)
    if not weights:
        return 0.0
    share = sum(_weight(a) * row.scores.get(a.id, 0.0) / a.max_score for a in columns if a.max_score)
    percent = 100 * share / weights
    return standing.percent(min(percent, 100.0) if bonus == BonusPolicy.CAP else percent)


def _weight(assignment: Assignment) -> float:
    """How much an assignment counts in the percent: its weight, else its points."""
    return assignment.max_score if assignment.weight is None else assignment.weight


def _merged(problems: list[str]) -> list[str]:
    """Each problem once."""
    seen, kept = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            kept.append(p)
    return kept
