"""``--json FILE``: a list of Gradescope-shaped records, one per (student, assignment).

A record graded below full isolation carries ``extra_data.isolation_warning``,
the plain-words warning; a record graded in the sandbox has none.
"""
from __future__ import annotations

import json
from pathlib import Path

from grader.reporting import isolation_note


def record(result) -> dict:
    """The result's record: its ``to_dict``, with the isolation warning when below sandbox."""
    d = result.to_dict()
    extra = d["extra_data"]
    extra.pop("isolation_warning", None)         # recomputed from the level, never carried over
    if isolation_note.below(result):
        extra["isolation_warning"] = isolation_note.level_warning(result.isolation)
    return d


def write(results, path: Path) -> None:
    records = [record(r) for r in results]
    Path(path).write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
