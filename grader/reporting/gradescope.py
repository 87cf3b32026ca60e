"""``grade --gradescope``: one submission's results as Gradescope's ``results.json``.

Gradescope runs ``run_autograder`` with the student's files in
``/autograder/submission`` and shows students what it finds in
``/autograder/results/results.json``. When the submission covers several
assignments, each test's name starts with the assignment's id. Hidden tests
keep Gradescope's ``after_published`` visibility and show no output. Graded
below full isolation, the output Gradescope shows starts with a warning. The
texts Gradescope shows (names, outputs) are ``shown`` (``grader.shown``).
"""
from __future__ import annotations

from pathlib import Path

from grader import __version__
from grader.reporting import isolation_note
from grader.shown import json_shown, shown


def results_json(results, wall_seconds: float | None = None) -> dict:
    """``wall_seconds``: how long grading took (Gradescope's execution_time); else the tests' summed time."""
    graded = [r for r in results if r.assignment]
    several = len(graded) > 1
    tests = []
    for result in graded:
        for test in result.tests:
            entry = test.to_dict()
            tests.append({
                "name": shown(f"{result.assignment}: {test.name}" if several else test.name),
                "score": entry["score"],
                "max_score": entry["max_score"],
                "status": entry["status"],
                "output": "" if test.hidden else shown(entry["output"], lines=True),
                "output_format": "text",
                "tags": entry["tags"],
                "visibility": entry["visibility"],
            })
    warning = isolation_note.warning(results)
    summary = [f"Warning: {warning}"] if warning else []
    for result in results:
        summary.append(result.to_dict()["output"] + (f" (handed in: {result.form_words})" if result.forms else ""))
        summary += result.left_out
    tests_seconds = sum(r.duration for r in results)
    # tests_seconds: the tests' own durations added up, more than the wall time when they ran side by side.
    extra = {"grader": f"sockgrade {__version__}", "isolation": sorted({r.isolation for r in results}),
             "assignments": [r.assignment for r in graded], "tests_seconds": round(tests_seconds, 3)}
    if warning:
        extra["isolation_warning"] = warning
    return {
        "score": round(sum(r.score for r in results), 4),
        "execution_time": int(round(wall_seconds if wall_seconds is not None else tests_seconds)),
        "output": shown("\n".join(summary), lines=True),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": extra,
    }


def write(results, path: Path, wall_seconds: float | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_shown(results_json(results, wall_seconds), indent=2) + "\n",
                    encoding="utf-8")
