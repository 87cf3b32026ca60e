"""How each test is isolated from the machine and from the other tests.

Levels, best first:
- ``netns``: the test's worker runs in its own network, PID and mount
  namespace (``unshare``): a private loopback where port 9999 is always free,
  and every process of the test dies with the worker (it is PID 1 there).
- ``none``: no namespace could be made; tests run one at a time on the
  machine's own loopback, and leftovers are killed by process tree.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache

LEVELS = ("none", "netns")


def unshare_argv() -> list[str]:
    argv = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child"]
    if os.geteuid() != 0:
        argv[1:1] = ["--user", "--map-root-user"]
    return argv


@lru_cache(maxsize=1)
def available_level() -> str:
    """The best level this machine allows, found by trying it once."""
    if os.environ.get("SOCKGRADE_ISOLATION") == "none" or not shutil.which("unshare"):
        return "none"
    try:
        done = subprocess.run(unshare_argv() + ["true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    return "netns" if done.returncode == 0 else "none"


def wrapper(level: str) -> list[str]:
    """The argv prefix that puts a worker into ``level``."""
    return unshare_argv() if level == "netns" else []


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
