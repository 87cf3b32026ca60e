"""How each test is isolated from the machine and from the other tests.

Levels, best first:
- ``sandbox``: ``netns`` plus, for every student program, a file system view
  of its own and a user of its own (bubblewrap, see ``sandbox.py``), so that
  it sees nothing of the specs, the reference or other students, and the
  process limit holds.
- ``netns``: the test's worker runs in its own network, PID and mount
  namespace (``unshare``): a private loopback where port 9999 is always free,
  and every process of the test dies with the process that is PID 1 there (the
  worker, or the trampoline the worker was forked beside: see ``forkserver.py``).
  Student programs run as the grader's user and see its files.
- ``none``: no namespace could be made; tests run one at a time on the
  machine's own loopback, and leftovers are killed by process tree.

At every level, student programs get the spec's limits (``limits.py``); the
number of processes is limited only in the sandbox.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

from grader.runner import sandbox

LEVELS = ("none", "netns", "sandbox")      # worst to best
STRICT = "strict"                          # ask for the best level or nothing


class IsolationUnavailable(Exception):
    """The isolation level asked for cannot be had on this machine."""


def unshare_argv() -> list[str]:
    argv = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child"]
    if os.geteuid() != 0:
        argv[1:1] = ["--user", "--map-root-user"]
    return argv


@lru_cache(maxsize=1)
def detect() -> tuple[str, str]:
    """(the best level this machine allows, why the next one up is not available), found by trying."""
    if os.environ.get("SOCKGRADE_ISOLATION") == "none":
        return "none", "SOCKGRADE_ISOLATION=none is set"
    if not shutil.which("unshare"):
        return "none", "unshare (util-linux) is not installed"
    try:
        done = subprocess.run(unshare_argv() + ["true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "none", f"unshare did not run: {exc}"
    if done.returncode != 0:
        return "none", ("namespaces are not allowed here: "
                        + (done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"))
    why = sandbox.missing(tuple(unshare_argv()))
    return ("netns", why) if why else ("sandbox", "")


def available_level() -> str:
    return detect()[0]


def choose(requested: str | None) -> str:
    """The level to grade at: the best available, or the one asked for if the machine has it.

    ``strict`` insists on ``sandbox``; asking for a level above the available
    one gets the available one (every result says which it ran under).
    """
    level, why = detect()
    if requested == STRICT:
        if level != LEVELS[-1]:
            raise IsolationUnavailable(f"no full isolation here ({why}); see 'Full isolation' in the README")
        return level
    if requested is None:
        return level
    if requested not in LEVELS:
        raise IsolationUnavailable(f"unknown isolation level {requested!r}; use one of {', '.join(LEVELS)}, {STRICT}")
    return min(requested, level, key=LEVELS.index)


def wrapper(level: str) -> list[str]:
    """The argv prefix that puts a worker into ``level``."""
    return unshare_argv() if level in ("netns", "sandbox") else []


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
