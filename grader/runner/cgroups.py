"""Limits for a test as a whole: a control group per test for its student programs.

Per-process limits (``limits.py``) cannot bound what several processes use
together, nor shared memory (``mmap`` of ``MAP_SHARED`` anonymous memory, files
in a tmpfs), which no per-process counter sees. Where the machine offers
control groups, the engine makes one per test (``TestGroup``) with the spec's
memory (shared memory included) and process limits, and every student program
of the test joins it before it starts (``join``); the grader's own processes
and the reference programs stay out. The kernel then kills a process of the
group when the group is over its memory (the OOM killer) and refuses a fork
beyond its processes; the group's counters tell which happened (``Usage``).

What is used, found by trying (``detect``), best first:
- cgroup v2 with the memory and pids controllers, in the grader's own cgroup
  when it may make children there (as root, or delegated by systemd:
  ``systemd-run --user --scope -p Delegate=yes grade ...``);
- cgroup v1 with its memory and pids hierarchies (as root);
- none: per-process limits only (README, "Isolation").
"""
from __future__ import annotations

import itertools
import os
import secrets
import signal
import time
from dataclasses import dataclass
from functools import lru_cache

ROOT = "/sys/fs/cgroup"


@dataclass(frozen=True)
class Backend:
    unified: bool              # cgroup v2 (one hierarchy), or else v1
    memory: str                # where an engine's folder is made (v1: in the memory hierarchy)
    pids: str                  # v1: in the pids hierarchy; v2: the same as ``memory``

    def describe(self) -> str:
        return f"cgroup {'v2' if self.unified else 'v1'} (memory, shared memory included, and processes per test)"

    def open(self) -> "EngineGroups":
        return EngineGroups(self)


class EngineGroups:
    """One engine's folder(s) of test groups: made when the engine starts, removed when it closes."""

    _count = itertools.count(1)

    def __init__(self, backend: Backend):
        self.unified = backend.unified
        for parent in dict.fromkeys([backend.memory, backend.pids]):
            _sweep(parent)
        # A random part too: an engine killed outright leaves its folder, and its pid comes round again.
        name = f"sockgrade-{os.getpid()}.{pid_namespace()}-{next(self._count)}-{secrets.token_hex(4)}"
        self.memory = os.path.join(backend.memory, name)
        self.pids = os.path.join(backend.pids, name)
        try:
            for folder in dict.fromkeys([self.memory, self.pids]):
                os.makedirs(folder)
            if self.unified:
                _write(os.path.join(self.memory, "cgroup.subtree_control"), "+memory +pids")
            elif os.path.exists(os.path.join(self.memory, "memory.use_hierarchy")):
                try:
                    _write(os.path.join(self.memory, "memory.use_hierarchy"), "1")
                except OSError:
                    pass
        except OSError:
            self.close()
            raise

    def test_group(self, name: str, memory_bytes: int, processes: int) -> "TestGroup":
        return TestGroup(self, name, memory_bytes, processes)

    def close(self) -> None:
        for folder in dict.fromkeys([self.memory, self.pids]):
            _remove(folder)


def _own_paths() -> dict[str, str]:
    """Controller (or '' for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    found = {}
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                number, controllers, path = line.rstrip("\n").split(":", 2)
                for c in controllers.split(",") if controllers else [""]:
                    found[c] = path
    except OSError:
        pass
    return found


def _mounts() -> dict[str, str]:
    """'v2' or a v1 controller -> its mount point."""
    found = {}
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, right = line.split(" - ", 1)
                point, fstype, options = left.split()[4], right.split()[0], right.split()[2]
                if fstype == "cgroup2":
                    found.setdefault("v2", point)
                elif fstype == "cgroup":
                    for option in options.split(","):
                        if option in ("memory", "pids"):
                            found.setdefault(option, point)
    except OSError:
        pass
    return found


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def _folder(mount: str, path: str) -> str:
    inside = os.path.join(mount, path.lstrip("/"))
    return inside if os.path.isdir(inside) else mount    # a cgroup namespace shows ours as the root


def _try_v2(mount: str, own: str) -> str:
    """A folder in which engines' folders with memory and pids can be made, or ''."""
    base = _folder(mount, own)
    if not {"memory", "pids"} <= set(_read(os.path.join(base, "cgroup.controllers")).split()):
        return ""
    try:
        _write(os.path.join(base, "cgroup.subtree_control"), "+memory +pids")
    except OSError:
        # Processes in our own group forbid enabling controllers for its children: when the
        # group is ours alone (a systemd scope made for us), we move into a leaf of it.
        others = set(_read(os.path.join(base, "cgroup.procs")).split()) - {str(os.getpid())}
        if others:
            return ""
        leaf = os.path.join(base, f"sockgrade-engine-{os.getpid()}")
        try:
            os.makedirs(leaf, exist_ok=True)
            _write(os.path.join(leaf, "cgroup.procs"), "0")
            _write(os.path.join(base, "cgroup.subtree_control"), "+memory +pids")
        except OSError:
            return ""
    return base


def _works(backend: Backend) -> bool:
    try:
        backend.open().close()
        return True
    except OSError:
        return False


@lru_cache(maxsize=1)
def detect() -> tuple[Backend | None, str]:
    """(how this machine limits a test as a whole, or None; why not), found by trying once."""
    if os.environ.get("SOCKGRADE_CGROUPS") == "none":
        return None, "SOCKGRADE_CGROUPS=none is set"
    mounts, own = _mounts(), _own_paths()
    if "v2" in mounts and (base := _try_v2(mounts["v2"], own.get("", "/"))):
        if _works(backend := Backend(True, base, base)):
            return backend, ""
    if "memory" in mounts and "pids" in mounts:
        backend = Backend(False, _folder(mounts["memory"], own.get("memory", "/")),
                          _folder(mounts["pids"], own.get("pids", "/")))
        if _works(backend):
            return backend, ""
    why = ("no cgroup with the memory and pids controllers can be made here "
           + ("(cgroup v1 or v2 with both controllers is needed)" if os.geteuid() == 0 else
              "(run as root, or in a delegated systemd scope: systemd-run --user --scope -p Delegate=yes)"))
    return None, why


def pid_namespace() -> str:
    """The PID namespace whose numbers this process's pids are: an engine's pid tells whether it is alive
    only read from the same namespace. Engines in others (a Slurm job step, a container) share these
    control group folders."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return "unknown"


def _sweep(parent: str) -> None:
    """Remove the folders that engines killed outright left in ``parent`` (empty: their processes died
    with them); a folder still in use, of a live engine, or of an engine in another PID namespace (whose
    pid means nothing here) is left alone."""
    try:
        names = os.listdir(parent)
    except OSError:
        return
    here = pid_namespace()
    for name in names:
        parts = name.split("-")
        # sockgrade-PID.NAMESPACE-N-RANDOM; sockgrade-PID-N[-RANDOM] from graders before the namespace
        pid, _, namespace = parts[1].partition(".") if len(parts) >= 3 else ("", "", "")
        if parts[0] != "sockgrade" or not pid.isdigit() or namespace not in ("", here) or _alive(int(pid)):
            continue
        folder = os.path.join(parent, name)
        for test in os.listdir(folder) if os.path.isdir(folder) else ():
            if os.path.isdir(os.path.join(folder, test)):
                _rmdir(os.path.join(folder, test))
        _rmdir(folder)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):        # OverflowError: a number no pid can be
        return False
    except OSError:
        pass
    return True


def _rmdir(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:
        pass


def _remove(folder: str) -> None:
    for _ in range(50):
        try:
            os.rmdir(folder)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.01)       # its last processes are still being reaped


class TestGroup:
    """One test's control group(s): made by the engine, joined by its student programs, removed after."""

    def __init__(self, engine: EngineGroups, name: str, memory_bytes: int, processes: int):
        self.unified = engine.unified
        if engine.unified:
            self.folders = [os.path.join(engine.memory, name)]
        else:
            self.folders = [os.path.join(engine.memory, name), os.path.join(engine.pids, name)]
        for folder in self.folders:
            os.mkdir(folder)
        memory, pids = self.folders[0], self.folders[-1]
        if self.unified:
            _write(os.path.join(memory, "memory.max"), str(memory_bytes))
            if os.path.exists(os.path.join(memory, "memory.swap.max")):
                _write(os.path.join(memory, "memory.swap.max"), "0")
        else:
            _write(os.path.join(memory, "memory.limit_in_bytes"), str(memory_bytes))
            if os.path.exists(os.path.join(memory, "memory.memsw.limit_in_bytes")):
                try:
                    _write(os.path.join(memory, "memory.memsw.limit_in_bytes"), str(memory_bytes))
                except OSError:
                    pass
        _write(os.path.join(pids, "pids.max"), str(processes))

    def to_job(self) -> dict:
        return {"unified": self.unified, "folders": self.folders}

    def close(self) -> None:
        """Kill what is left in the group (nothing, normally: the test's namespace died) and remove it."""
        for folder in self.folders:
            for _ in range(20):
                pids = [int(p) for p in _read(os.path.join(folder, "cgroup.procs")).split()]
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.01)
            _remove(folder)


def join(job_group: dict | None):
    """For a student program's preexec: move the calling (forked) process into the test's group."""
    folders = list(job_group["folders"]) if job_group else []

    def apply() -> None:
        for folder in folders:
            with open(folder + "/cgroup.procs", "w") as f:
                f.write("0")
    return apply


class Usage:
    """What a test's group saw: the worker reads it to name the limit a program ran into."""

    def __init__(self, job_group: dict | None):
        self.unified = job_group["unified"] if job_group else None
        self.folders = job_group["folders"] if job_group else []

    def oom_kills(self) -> int:
        if not self.folders:
            return 0
        name = "memory.events" if self.unified else "memory.oom_control"
        return _counter(os.path.join(self.folders[0], name), "oom_kill")


def _counter(path: str, key: str) -> int:
    for line in _read(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
