"""What a role's ``build`` and ``run`` commands need inside the sandbox, read-only.

The sandbox (``sandbox.py``) shows a student program the machine's system
folders (``/usr``, ``/lib``...) and the Python runtime. A compiler or a JVM
usually lives there too, but reaches beyond it: ``/usr/bin/java`` is a link to
``/etc/alternatives/java``, the JVM's ``conf/`` files are links into
``/etc/java-17-openjdk``, and a toolchain may be installed in ``/opt``. For
each command's program (``gcc``, ``javac``, ``java``; not ``./server``, which
is the student's), found on the grader's ``PATH``, ``find`` gathers:

- ``links``: every link on the way from the name to the program that lies
  outside the system folders, recreated as the same link;
- ``binds``: the program's installation (the folder above its ``bin/``) when
  it lies outside the system folders, the targets of the links inside that
  installation that lead outside (the JVM's configuration), and the shared
  libraries it loads from elsewhere, each exactly (never a whole folder such
  as ``/etc``);
- ``path``: the folders it was found in, put on the sandbox's ``PATH``.

The engine computes this once per set of commands (the teacher's spec and
machine: nothing a student controls) and sends it with each job. The hide list
still holds over it (``sandbox.bwrap_argv``).
"""
from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
from functools import lru_cache

from grader.runner.sandbox import SYSTEM

MAX_HOPS = 40           # links followed from a name to its program
MAX_WALK = 20000        # entries of an installation looked at for links leading outside it
LDD_SECONDS = 10


def commands_of(forms) -> tuple[str, ...]:
    """The programs the forms' commands start by name or absolute path (not ``./server``, not ``${file}``)."""
    found = []
    for form in forms:
        for command in (form.build, form.run):
            if command and "${" not in command[0] and ("/" not in command[0] or command[0].startswith("/")):
                found.append(command[0])
    return tuple(dict.fromkeys(found))


def locate(name: str, path: str) -> str | None:
    """``name`` as ``execvp`` finds it on ``path`` (an absolute name: itself, if it can be run)."""
    return shutil.which(name, path=path)


@lru_cache(maxsize=32)
def find(commands: tuple[str, ...], path: str) -> dict:
    """{"binds": [[source, destination]...], "links": [[target, path]...], "path": [folder...]}: see above."""
    binds: dict[str, str] = {}        # destination -> source
    links: dict[str, str] = {}        # link -> its target, as written
    folders: list[str] = []
    for name in commands:
        found = locate(name, path)
        if not found:
            continue              # the worker says so before it builds (build.missing_program)
        found = os.path.abspath(found)
        folders.append(os.path.dirname(found))
        program = _follow(found, links)
        home = _installation(program)
        if home and not _reachable(home):
            binds[home] = home
        if home:
            _links_leading_out(home, binds)
        for library in _loaded(program):
            if not _reachable(library):
                binds[library] = os.path.realpath(library)
    return {"binds": sorted([source, dest] for dest, source in binds.items()),
            "links": sorted([target, link] for link, target in links.items()),
            "path": list(dict.fromkeys(folders))}


def _system() -> tuple[str, ...]:
    return tuple({os.path.realpath(d) for d in SYSTEM if os.path.exists(d)} | set(SYSTEM))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _reachable(path: str) -> bool:
    """In a folder every sandbox shows, as it is here."""
    return any(_inside(path, folder) for folder in _system())


def _follow(path: str, links: dict) -> str:
    """The program ``path`` leads to; each link on the way outside the system folders recorded in ``links``."""
    for _ in range(MAX_HOPS):
        real_parent = os.path.realpath(os.path.dirname(path))
        here = os.path.join(real_parent, os.path.basename(path))
        if not os.path.islink(here):
            return here
        target = os.readlink(here)
        if not _reachable(here):
            links[here] = target
        path = os.path.normpath(os.path.join(real_parent, target))
    return os.path.realpath(path)


def _installation(program: str) -> str | None:
    """The folder above the program's ``bin/`` (a JDK, a toolchain in /opt), never a system folder or a
    home folder, whose other files are no compiler's business; else None."""
    folder = os.path.dirname(program)
    if os.path.basename(folder) != "bin":
        return None
    home = os.path.dirname(folder)
    if home in ("/", *_system()) or home in _homes():
        return None
    return home


@lru_cache(maxsize=1)
def _homes() -> frozenset[str]:
    try:
        return frozenset(os.path.realpath(p.pw_dir) for p in pwd.getpwall()) | {os.path.expanduser("~")}
    except OSError:
        return frozenset({os.path.expanduser("~")})


def _links_leading_out(home: str, binds: dict) -> None:
    """Each link inside ``home`` whose target lies outside both it and the system folders: the target bound
    where the link expects it (a JDK's ``conf/security/java.security`` -> ``/etc/java-17-openjdk/...``)."""
    seen = 0
    for root, dirs, files in os.walk(home):
        for name in dirs + files:
            seen += 1
            link = os.path.join(root, name)
            if not os.path.islink(link):
                continue
            target = os.path.normpath(os.path.join(root, os.readlink(link)))
            if _inside(target, home) or _reachable(target) or not os.path.exists(target):
                continue
            binds[target] = os.path.realpath(target)
        if seen > MAX_WALK:
            return


LDD_LINE = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x[0-9a-f]+\)")


def _loaded(program: str) -> list[str]:
    """The shared libraries ``program`` loads, as ``ldd`` lists them (none when it cannot tell)."""
    ldd = shutil.which("ldd")
    if not ldd:
        return []
    try:
        done = subprocess.run([ldd, program], capture_output=True, text=True, timeout=LDD_SECONDS,
                              env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [m.group(1) for line in done.stdout.splitlines() if (m := LDD_LINE.search(line))
            and os.path.exists(m.group(1))]
