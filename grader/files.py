"""Which files of a submission count: the same rule for the cache key and for the copy students' programs run.

A file the key leaves out must never reach the programs (a doctored
``__pycache__/*.pyc`` would run under the key of honest sources).
"""
from __future__ import annotations

SKIPPED = ("__pycache__", ".DS_Store", "__MACOSX")


def skipped(name: str) -> bool:
    return name in SKIPPED


def ignore(folder: str, names: list[str]) -> set[str]:
    """For ``shutil.copytree(ignore=...)``."""
    return {n for n in names if skipped(n)}
