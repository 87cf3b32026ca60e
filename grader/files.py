"""Which files of a submission count: the same rule for the cache key and for the copy students' programs run.

A file the key leaves out must never reach the programs (a doctored
``__pycache__/*.pyc`` would run under the key of honest sources). FIFOs,
devices and sockets are left out too: opening one could hang the grader.
"""
from __future__ import annotations

import os
import stat

SKIPPED = ("__pycache__", ".DS_Store", "__MACOSX")


def skipped(folder: str, name: str) -> bool:
    """``name`` in ``folder`` is neither hashed into the cache key nor copied for the programs."""
    if name in SKIPPED:
        return True
    try:
        mode = os.lstat(os.path.join(folder, name)).st_mode
    except OSError:
        return True
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode))


def executable(mode: int) -> bool:
    return bool(mode & 0o111)


def normalise_modes(folder: str) -> None:
    """The copy's modes say only what the cache key records: folders 0755, files 0644 or 0755.
    (A file made unreadable would otherwise change what identical sources do.)"""
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                os.chmod(path, 0o755 if executable(mode) else 0o644)


def ignore(folder: str, names: list[str]) -> set[str]:
    """For ``shutil.copytree(ignore=...)``."""
    return {n for n in names if skipped(folder, n)}
