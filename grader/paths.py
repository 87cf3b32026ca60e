"""Where the shipped specs live, wherever ``grade`` is run from."""
from __future__ import annotations

import sys
from pathlib import Path


def shipped_specs_dir() -> Path:
    """``specs/`` beside the package (a checkout or editable install), else the installed copy."""
    beside = Path(__file__).resolve().parent.parent / "specs"
    if beside.is_dir():
        return beside
    return Path(sys.prefix) / "share" / "sockgrade" / "specs"


def shipped_reference_dir() -> Path:
    """``reference/`` beside the shipped specs: the reference programs they name."""
    return shipped_specs_dir().parent / "reference"
