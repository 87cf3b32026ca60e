"""kill -9 of the grader, of its fork server or of one of its workers leaves nothing it started 2 s
later: the kernel ends them (parent-death signals down the chain, the death of a test's PID namespace
with its first process). Graded on real processes, at every isolation level this machine has.

The run's processes are found in /proc: the grader's by the run's own temporary folder, which they
have in their environment (TMPDIR) or command line; the students' programs by a marker in their
command line (each student's server runs itself again with it, and leaves a daemon behind that
leaves its session and ignores every signal it can).
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, loopback_lock, python_for
from grader.runner import cgroups
from hostile_course import level  # noqa: F401 (a fixture)

GONE_WITHIN = 2.0        # seconds: the feature
STARTED_WITHIN = 60.0    # seconds for the first student program to start on a busy machine
ENDS_WITHIN = 240.0      # seconds for the rest of the class once a fork server or a worker is killed
STUDENTS = 4
TESTS = ("server binds UDP 9999", "server answers Hello, <data>!", "server keeps answering after many datagrams")

BINDS_AFTER = 1.5       # seconds: a test whose server started less than a second ago is still running
SERVER = """import os, signal, sys, time
MARKER = "{marker}"
if MARKER not in sys.argv:           # found by the marker in its command line
    os.execv(sys.executable, [sys.executable, "-u", os.path.abspath(sys.argv[0]), *sys.argv[1:], MARKER])
for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(sig, signal.SIG_IGN)
if os.fork() == 0:                   # a daemon: out of its session, its parent gone, deaf to all but SIGKILL
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", MARKER])
    os._exit(0)
os.wait()
time.sleep({binds_after})
"""

# Level none runs student programs with an interpreter other users can reach, which the command line
# does not choose: the grader is started through the API there, in a process of its own all the same.
API_GRADER = ("import sys\n"
              "from grader.grading import api\n"
              "from grader.reporting import json_report\n"
              "run = api.grade_class(sys.argv[1], specs=['udp-echo'], isolation='none', python=sys.argv[2],\n"
              "                      use_cache=False, tests=sys.argv[4:])\n"
              "json_report.write(run.results, sys.argv[3])\n")


class Run:
    """``grade`` on a class of four in ``folder``, in its own session, with a temporary folder of its own;
    as ``teacher`` (tests/teacher.py) when given."""

    def __init__(self, folder: Path, level: str, teacher=None):
        self.marker = f"sockgrade-kill-{uuid.uuid4().hex}"
        # Not in tmp_path: the fork server's socket path would be too long for a Unix socket under
        # pytest-xdist's folders, and at level none the students' users could not reach their copies.
        self.scratch = Path(tempfile.mkdtemp(prefix="sockgrade-kill-"))
        self.scratch.chmod(0o711)
        self.out = folder / "out.json"
        self.log = folder / "grade.log"
        for n in range(STUDENTS):
            student = folder / "class" / f"student{n}"
            shutil.copytree(EXAMPLES / "alice", student)
            prelude = SERVER.format(marker=self.marker, binds_after=BINDS_AFTER)
            # Each differs (identical folders would be graded once).
            (student / "serverudp.py").write_text(prelude + (student / "serverudp.py").read_text() + f"\n# {n}\n")
        args = [folder / "class", "--spec", "udp-echo", "--no-cache", "-j", "4", "--isolation", level,
                "--json", self.out] + [a for name in TESTS for a in ("--test", name)]
        if teacher:
            teacher.give(folder)
            teacher.give(self.scratch)
            argv, cwd, env = teacher.argv(args), teacher.home, teacher.env(TMPDIR=str(self.scratch))
        elif level == "none":
            argv, cwd, env = [sys.executable, "-c", API_GRADER, folder / "class", python_for("none"), self.out,
                              *TESTS], ROOT, {**os.environ, "TMPDIR": str(self.scratch)}
        else:
            argv, cwd, env = [sys.executable, "-m", "grader", *args], ROOT, {**os.environ, "TMPDIR": str(self.scratch)}
        with open(self.log, "wb") as log:
            self.grade = subprocess.Popen(list(map(str, argv)), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=log, start_new_session=True)

    def processes(self) -> list[int]:
        """The run's live processes: the marker in the command line, the run's folder in it or in the
        environment."""
        return [pid for pid in _table() if self.marker.encode() in _read(pid, "cmdline")
                or str(self.scratch).encode() in _read(pid, "cmdline") + _read(pid, "environ")]

    def fork_server(self) -> int | None:
        found = [pid for pid, (ppid, *_) in _table().items()
                 if ppid == self.grade.pid and b"grader.worker.forkserver" in _read(pid, "cmdline")]
        return found[0] if found else None

    def students_running(self) -> list[int]:
        return [pid for pid in _table() if self.marker.encode() in _read(pid, "cmdline")]

    def wait_for_students(self) -> None:
        assert _wait(self.students_running, STARTED_WITHIN), "no student program started: " + self.output()

    def output(self) -> str:
        """What ``grade`` said, and the reasons of its JSON output when it has ended."""
        tests = [t for r in self.results().values() for t in r.values()] if self.out.exists() else []
        return self.log.read_text(errors="replace") + "\n".join(t["output"] for t in tests)

    def results(self) -> dict[str, dict[str, dict]]:
        """student -> test -> its record in the JSON output."""
        return {r["student"]: {t["name"]: t for t in r["tests"]} for r in json.loads(self.out.read_text())}

    def clean_up(self) -> None:
        if self.grade.poll() is None:
            self.grade.kill()
            self.grade.wait()
        for pid in self.processes():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.scratch, ignore_errors=True)
        # A grader killed outright leaves its (empty) control groups: no process, but kept by the kernel.
        backend, _ = cgroups.detect()
        for base in {backend.memory, backend.pids} if backend else ():
            for folder in Path(base).glob(f"{cgroups.engine_prefix(self.grade.pid)}*"):
                for group in [*folder.glob("*/"), folder]:
                    with contextlib.suppress(OSError):
                        group.rmdir()


@pytest.fixture
def run_at(tmp_path):
    runs = []

    def start(level: str) -> Run:
        runs.append(Run(tmp_path, level))
        return runs[-1]
    yield start
    for run in runs:
        run.clean_up()


def test_a_killed_grader_leaves_nothing_behind(level, run_at):
    with loopback_lock(level):
        _kill_the_grader(run_at(level))


@pytest.mark.parametrize("level", ["sandbox", "netns"])
def test_a_killed_grader_of_an_ordinary_user_leaves_nothing_behind(teacher, level):
    done = teacher.python("from grader.runner import isolation; print(' '.join(isolation.available_levels()))")
    if level not in done.stdout.split():
        pytest.skip(f"isolation level {level} is not available to an ordinary user here")
    run = Run(teacher.workspace(), level, teacher)
    try:
        _kill_the_grader(run)
    finally:
        run.clean_up()


def _kill_the_grader(run: Run) -> None:
    run.wait_for_students()
    before = run.processes()
    os.kill(run.grade.pid, signal.SIGKILL)
    run.grade.wait()
    left = _wait_for_none(run.processes)
    assert left == [], f"{len(left)} of {len(before)} processes left: {_describe(left)}"


def test_a_killed_fork_server_takes_its_workers_and_the_class_is_still_graded(level, run_at):
    if level == "none":
        pytest.skip("level none has no fork server")
    with loopback_lock(level):
        run = run_at(level)
        run.wait_for_students()
        server = run.fork_server()
        assert server, "no fork server: " + run.output()
        workers = [pid for pid in _descendants(server) if _namespaced(pid)]
        assert workers, f"no test's worker was forked by the fork server {server}: {_describe(run.processes())}"
        started = _snapshot({server} | _descendants(server) | {p for w in workers for p in _test_of(w, server)})
        os.kill(server, signal.SIGKILL)
        left = _wait_for_none(lambda: _alive(started))
        assert left == [], _describe(left)
        assert run.grade.wait(ENDS_WITHIN) == 1, run.output()        # 1: a test could not be graded
    results = run.results()
    assert sorted(results) == [f"student{n}" for n in range(STUDENTS)]
    failed = [t for tests in results.values() for t in tests.values()
              if t["extra_data"]["status"] == "grading_failed"]
    assert failed and all("ended abnormally" in t["output"] or "reference program failed" in t["output"]
                          for t in failed), failed
    # The last student's tests were still queued: they ran in the usual worker, started from scratch
    # (but one that used the reference's answers, if their recording was among the tests stopped).
    last = results[f"student{STUDENTS - 1}"].values()
    assert [t for t in last if t["extra_data"]["status"] != "grading_failed"], failed
    assert _wait_for_none(run.processes) == []


def test_a_killed_worker_takes_its_test_and_the_class_is_still_graded(level, run_at):
    with loopback_lock(level):
        run = run_at(level)
        run.wait_for_students()
        worker = _wait(lambda: _a_students_worker(run), STARTED_WITHIN)
        assert worker, "no worker with a student program found: " + run.output()
        started = _snapshot(_test_of(worker, run.fork_server()))
        os.kill(worker, signal.SIGKILL)       # its server has not even bound yet: it is running
        left = _wait_for_none(lambda: _alive(started))
        assert left == [], _describe(left)
        code = run.grade.wait(ENDS_WITHIN)
        assert code == (0 if level == "none" else 1), run.output()
    results = run.results()
    assert sorted(results) == [f"student{n}" for n in range(STUDENTS)]
    failed = [t for tests in results.values() for t in tests.values()
              if t["extra_data"]["status"] == "grading_failed"]
    assert len(failed) == 1 and "ended abnormally" in failed[0]["output"], failed
    assert _wait_for_none(run.processes) == []


# -- /proc -------------------------------------------------------------------------------------------
def _read(pid: int, name: str) -> bytes:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _table() -> dict[int, tuple[int, int, bytes]]:
    """pid -> (parent pid, start time, state) of every process but zombies."""
    found = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        fields = _read(int(entry), "stat").rsplit(b")", 1)[-1].split()
        if len(fields) > 19 and fields[0] != b"Z":
            found[int(entry)] = (int(fields[1]), int(fields[19]), fields[0])
    return found


def _descendants(root: int) -> set[int]:
    table = _table()
    found, grew = set(), {root}
    while grew:
        grew = {pid for pid, (ppid, *_) in table.items() if ppid in grew} - found
        found |= grew
    return found


def _pid_ns(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return ""


def _namespaced(pid: int) -> bool:
    """In a PID namespace other than ours (a test's)."""
    return _pid_ns(pid) not in ("", _pid_ns(os.getpid()))


def _test_of(worker: int, fork_server: int | None) -> set[int]:
    """The worker, what it started, and in a namespace the test's first process, its unshare and the
    fork server's child that forked the worker."""
    found = {worker} | _descendants(worker)
    if _namespaced(worker):
        ns = _pid_ns(worker)
        table = _table()
        members = {pid for pid in table if _pid_ns(pid) == ns}
        found |= members | {p for m in members for p in _descendants(m)}
        found |= {table[m][0] for m in members if m in table}          # unshare, the fork server's child
    return found - {fork_server}


def _a_students_worker(run: Run) -> int | None:
    """A test's worker (forked or not) with a student program of the run below it that started less
    than a second ago."""
    students = {pid for pid in run.students_running() if _age(pid) < BINDS_AFTER - 0.5}
    for pid in run.processes():
        cmdline = _read(pid, "cmdline")
        forked = b"grader.worker.forkserver" in cmdline and _namespaced(pid)
        if (forked or b"grader.worker.worker" in cmdline) and _descendants(pid) & students:
            return pid
    return None


def _age(pid: int) -> float:
    """Seconds since ``pid`` started (as good as forever when it is gone)."""
    fields = _read(pid, "stat").rsplit(b")", 1)[-1].split()
    start = int(fields[19]) / os.sysconf("SC_CLK_TCK") if len(fields) > 19 else 0.0
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) - start


def _snapshot(pids) -> set[tuple[int, int]]:
    table = _table()
    return {(pid, table[pid][1]) for pid in pids if pid in table}


def _alive(snapshot: set[tuple[int, int]]) -> list[int]:
    table = _table()
    return sorted(pid for pid, start in snapshot if pid in table and table[pid][1] == start)


def _wait(found, seconds: float):
    deadline = time.monotonic() + seconds
    while not (result := found()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def _wait_for_none(found) -> list[int]:
    """Poll up to GONE_WITHIN seconds for ``found()`` to be empty; what it still finds then."""
    deadline = time.monotonic() + GONE_WITHIN
    while (left := found()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _describe(pids) -> str:
    return "; ".join(f"{pid}: {_read(pid, 'cmdline').replace(bytes(1), b' ').decode(errors='replace')[:150]}"
                     for pid in pids)


def test_the_control_groups_a_killed_grader_left_are_swept_by_the_next(tmp_path):
    """A grader killed outright leaves its (empty) control groups behind; the next engine removes those of
    engines no longer alive, and its own never collide with them even when its pid comes round again."""
    backend, why = cgroups.detect()
    if backend is None:
        pytest.skip(f"no control groups here: {why}")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    left = [Path(base) / f"{cgroups.engine_prefix(int(dead))}1-0badc0de" for base in dict.fromkeys([backend.memory, backend.pids])]
    for folder in left:
        (folder / "test-1").mkdir(parents=True)
    mine = backend.open()
    try:
        assert not any(folder.exists() for folder in left)
        assert Path(mine.memory).is_dir() and Path(mine.memory).name.startswith(cgroups.engine_prefix(os.getpid()))
    finally:
        mine.close()
    assert not Path(mine.memory).exists()

