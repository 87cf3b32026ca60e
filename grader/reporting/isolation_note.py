"""What every output says when student programs ran below full isolation.

Results graded at ``sandbox`` say nothing more than their level. Results
graded at a weaker level (``netns``, ``none``, or a level this version does
not know, such as a results file without one) must never be taken for fully
isolated grades: every reporter puts the warning made here in its output.
"""
from __future__ import annotations

from grader.runner.isolation import Level

FULL = Level.SANDBOX

# What a student program had less of than in the sandbox (true whatever weaker jail the level adds).
_WHAT_IT_MEANS = {
    Level.NETNS: ("student programs ran in the grader's jail instead of bubblewrap's sandbox (their own "
                  "network, process and mount namespaces, the specs, reference programs, class folder and cache "
                  "covered), so they could read the grading machine's other files that their user may read"),
    Level.NONE: ("student programs ran on the machine's own loopback, without namespaces or bubblewrap, so they "
                 "could read the machine's files that their user may read (the specs and reference programs "
                 "when those are readable by all), see its processes and reach its network"),
}


def below(result) -> bool:
    """The result's student programs ran with less than full isolation."""
    return result.isolation != FULL


def levels_below(results) -> list[str]:
    """The levels below sandbox found in ``results``, worst first."""
    found = {r.isolation for r in results if below(r)}
    return sorted(found, key=lambda level: (level not in (Level.NONE, Level.NETNS), level != Level.NONE, str(level)))


def level_warning(level: str) -> str:
    """The plain-words warning for one level; empty at sandbox."""
    if level == FULL:
        return ""
    head = f"Graded with isolation '{level}', below full isolation ('{FULL}')"
    means = _WHAT_IT_MEANS.get(level)
    if means:
        return f"{head}: {means}. These grades are not from a fully isolated run."
    return f"{head}. These grades are not from a fully isolated run."


def short(level: str) -> str:
    """A few words for a cell or a row: ``isolation netns (below sandbox)``."""
    return f"isolation {level} (below {FULL})"


def _who(results, limit: int | None) -> str:
    theirs: dict[str, list[str]] = {}
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        assignments = theirs.setdefault(r.student, [])
        if r.assignment:
            assignments.append(r.assignment)
    names = [f"{student} ({', '.join(a)})" if a else student for student, a in theirs.items()]
    if limit is not None and len(names) > limit:
        names = names[:limit] + [f"and {len(names) - limit} more"]
    return ", ".join(names)


def warning(results, limit: int | None = None) -> str:
    """The warning for a set of results: empty when all ran at sandbox.

    When every result ran at the same weaker level, the level's warning; when
    levels are mixed, the warning of each weaker level followed by the
    students (and their assignments) graded at it. ``limit`` caps the names
    listed per level.
    """
    results = list(results)
    weaker = levels_below(results)
    if not weaker:
        return ""
    if len({r.isolation for r in results}) == 1:
        return level_warning(weaker[0])
    parts = [f"Not every result was graded with full isolation ('{FULL}')."]
    for level in weaker:
        at_level = [r for r in results if r.isolation == level]
        parts.append(f"{level_warning(level)} Graded at '{level}': {_who(at_level, limit)}.")
    return " ".join(parts)


def student_notes(results) -> dict[str, str]:
    """student -> a short note for their row, for every student with a result below sandbox.

    ``isolation netns (below sandbox)``, followed by the assignments when only
    some of the student's assignments were graded at that level.
    """
    by_student: dict[str, list] = {}
    for r in sorted(results, key=lambda r: (r.student, r.assignment)):
        by_student.setdefault(r.student, []).append(r)
    notes = {}
    for student, theirs in by_student.items():
        parts = []
        for level in levels_below(theirs):
            at_level = [r for r in theirs if r.isolation == level]
            where = ""
            if len(at_level) < len(theirs):
                where = " for " + ", ".join(r.assignment or "nothing graded" for r in at_level)
            parts.append(short(level) + where)
        if parts:
            notes[student] = "; ".join(parts)
    return notes


def mixed(results) -> bool:
    """The results ran at more than one level, one of them below sandbox."""
    results = list(results)
    return len({r.isolation for r in results}) > 1 and bool(levels_below(results))


def footer(results) -> str:
    """The run's last line, at every level: the isolation each result ran at and the limits that held
    (``extra["limits"]``, how the engine bounded each test), e.g. ``isolation: sandbox (full); limits:
    cgroup v2 (memory and processes per test)``."""
    graded = [r for r in results if r.assignment]
    if not graded:
        return ""
    levels: dict[str, int] = {}
    for r in graded:
        levels[str(r.isolation)] = levels.get(str(r.isolation), 0) + 1
    said = [f"{level} ({'full' if level == FULL else f'below {FULL}'})" for level in
            sorted(levels, key=lambda level: (level != FULL, level))]
    if len(levels) > 1:
        said = [f"{text} for {levels[level]} of {len(graded)} results"
                for text, level in zip(said, sorted(levels, key=lambda level: (level != FULL, level)))]
    limits = sorted({str(r.extra["limits"]) for r in graded if r.extra.get("limits")})
    return "isolation: " + ", ".join(said) + "; limits: " + ("; ".join(limits) or "not recorded in these results")
