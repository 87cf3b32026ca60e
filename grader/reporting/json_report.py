"""``--json FILE``: a list of Gradescope-shaped records, one per (student, assignment).

A record graded below full isolation carries ``extra_data.isolation_warning``,
the plain-words warning; a record graded in the sandbox has none. With a course
file, a record whose points were cut (late work, a file under another name)
carries ``extra_data.penalties`` (what was taken and why) and
``extra_data.score_after_penalties``. Names and texts are the real ones; a
character in them that acts on a terminal (ESC, a bidi override) is a JSON
escape, ``\u001b`` (``grader.shown.json_shown``).
"""
from __future__ import annotations

from pathlib import Path

from grader.reporting import gradebook, isolation_note
from grader.shown import json_shown

COURSE_KEYS = ("penalties", "score_after_penalties")


def record(result) -> dict:
    """The result's record: its ``to_dict``, with the isolation warning when below sandbox."""
    d = result.to_dict()
    extra = d["extra_data"]
    for key in ("isolation_warning", *COURSE_KEYS):       # recomputed, never carried over
        extra.pop(key, None)
    if isolation_note.below(result):
        extra["isolation_warning"] = isolation_note.level_warning(result.isolation)
    return d


def write(results, path: Path, book=None) -> None:
    """``book``: the run's gradebook, whose penalties the records carry."""
    cut = gradebook.penalised(book) if book else {}
    records = []
    for result in results:
        d = record(result)
        if (result.student, result.assignment) in cut:
            why, left = cut[result.student, result.assignment]
            d["extra_data"].update(penalties=why, score_after_penalties=left)
        records.append(d)
    Path(path).write_text(json_shown(records, indent=2) + "\n", encoding="utf-8")
