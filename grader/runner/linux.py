"""The Linux calls the worker, the fork server and the oracle need and Python 3.11's ``os`` lacks.

Each raises OSError with the errno when the kernel refuses. (``jail.py`` has
its own: it runs as root in the student's folder under ``python -I`` and imports
nothing of the grader, which that folder could otherwise shadow.)
"""
from __future__ import annotations

import ctypes
import os

CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV = 2, 4
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36

_libc = ctypes.CDLL(None, use_errno=True)
# Looked up once here: prctl is also called in a child between fork and exec, where a lookup could wait
# forever on a lock another thread of the parent held when it forked.
_prctl = _libc.prctl


def _call(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _call(_libc.unshare(flags), "unshare")


def setns(fd: int, flag: int) -> None:
    _call(_libc.setns(fd, flag), "setns")


def mount(source: str, target: str, fstype: str, flags: int, data: str) -> None:
    _call(_libc.mount(source.encode(), target.encode(), fstype.encode(), flags, data.encode()), f"mount {target}")


def prctl(option: int, value: int) -> None:
    _call(_prctl(option, value, 0, 0, 0), f"prctl {option}")
