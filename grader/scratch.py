"""The grader's scratch folders in the temporary folder, named for the process that made them
(``sockgrade-test-p4711-k2j4x9_a``): what a grading killed outright left behind (``kill -9``: no
``finally`` ran, no folder was removed) is swept by the next one, ``sweep`` removing the folders
of this user whose process is gone. A folder of a live process is never touched."""
from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile

_NAME = re.compile(r"sockgrade-[a-z]+-p(\d+)-[a-z0-9_]{8}")


def make(kind: str) -> str:
    """A new folder, 0700, ours: ``sockgrade-KIND-pPID-XXXXXXXX``."""
    return tempfile.mkdtemp(prefix=f"sockgrade-{kind}-p{os.getpid()}-")


def sweep() -> list[str]:
    """Remove the scratch folders of this user's processes that are gone; the names removed."""
    folder = tempfile.gettempdir()
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    swept = []
    for name in names:
        found = _NAME.fullmatch(name)
        if not found or _alive(int(found.group(1))):
            continue
        path = os.path.join(folder, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():      # never a link, never another's
            shutil.rmtree(path, ignore_errors=True)
            swept.append(name)
    return swept


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:          # alive, someone else's
        pass
    return True
