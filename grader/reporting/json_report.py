"""``--json FILE``: a list of Gradescope-shaped records, one per (student, assignment)."""
from __future__ import annotations

import json
from pathlib import Path


def write(results, path: Path) -> None:
    records = [r.to_dict() for r in results]
    Path(path).write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
