"""What a worker knows about the test it runs: the job sent by the engine."""
from __future__ import annotations

import json
import os
import re
import socket
import time
from typing import Callable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

from grader.net.transcript import Transcript
from grader.results import Cause, Difference, Status, Why
from grader.runner import cgroups, sandbox
from grader.runner.isolation import Level
from grader.runner.limits import MIB, TestUsage, preexec, test_limit_reached
from grader.runner.memory_watch import MemoryWatch
from grader.runner.process import Program, RunningProgram, descendants
from grader.spec.model import Limits, Test
from grader.spec.modes import Framing, Transport

JAIL = os.path.join(os.path.dirname(os.path.abspath(sandbox.__file__)), "jail.py")


@dataclass
class Outcome:
    """What a worker found running one test, before any points: the engine scores it (``score_test``).

    ``status`` is PASSED, FAILED (``reason`` says why, ``cause`` as data), NOT_HANDED_IN (a program
    the test needs is missing; ``missing`` names its files) or GRADING_FAILED
    (``error`` says how the grader failed: never the student's doing). The
    worker writes ``to_dict()`` as JSON, signed (``worker.main``); the engine
    reads it back with ``from_dict`` once the signature holds.
    """
    status: Status = Status.FAILED
    reason: str = ""
    cause: Why | None = None
    difference: Difference | None = None      # where the conversation first went wrong, if it did
    notes: list[str] = field(default_factory=list)
    transcript: list[dict] = field(default_factory=list)
    server_output: str = ""
    client_output: str = ""
    bound: str = ""
    answers: dict[int, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    wire: list[tuple[str, str]] = field(default_factory=list)   # client <-> server, when captured
    duration: float = 0.0
    error: str = ""         # GRADING_FAILED: what failed, a traceback for the grader's own bug
    missing: str = ""       # NOT_HANDED_IN: the file names the test needed
    # For the benchmark (bench/run.py): monotonic times (shared by every namespace) when the test's
    # first program started and when its verdict was known, so that what lies outside them is the
    # grader's own overhead; and the CPU seconds of the worker itself.
    timing: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @classmethod
    def grading_failed(cls, error: str) -> "Outcome":
        """The outcome of a test the grader could not run or judge."""
        return cls(status=Status.GRADING_FAILED, error=error)

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status.value, "cause": self.cause.to_dict() if self.cause else None,
                "difference": self.difference.to_dict() if self.difference else None}

    @classmethod
    def from_dict(cls, d: dict) -> "Outcome":
        """An outcome as ``to_dict`` wrote it (JSON made answers' keys strings and wire's pairs lists)."""
        return cls(**{**d, "status": Status(d["status"]),
                      "cause": Why.from_dict(d["cause"]) if d.get("cause") else None,
                      "difference": Difference.from_dict(d["difference"]) if d.get("difference") else None,
                      "answers": {int(k): v for k, v in d.get("answers", {}).items()},
                      "wire": [tuple(m) for m in d.get("wire", [])]})


class JobMode(StrEnum):
    """What a worker does with a test."""
    GRADE = "grade"            # grade a submission
    RECORD = "record"          # record the reference's answers (the reference programs play every role)


@dataclass
class JobRequest:
    """What the engine asks of a worker: run one test of one submission (or record the reference's
    answers, ``mode`` record). Sent as ``to_dict()`` JSON on the worker's stdin; ``Job.from_request``
    makes the worker's working state of it.

    ``programs``: role -> {"student": path in the submission or None, "reference": path or None,
    "args": [...], "names": the role's file names}. ``submission``: the folder copied to ``workdir``
    (the engine's empty folder, the student's cwd), None when the reference alone plays. ``key``
    signs the outcome (the worker drops it from the request once read). ``tmp``: the engine's
    temporary folder. ``cgroup``: the test's control group (``cgroups.TestGroup.to_job``), if any.
    ``hide``: paths a sandboxed program must not see. ``refdir`` and ``toolchain``: for roles with
    ``build``/``run`` commands (``grader.job.build``, ``grader.runner.toolchain``).
    """
    test: Test
    transport: Transport
    host: str
    port: int
    framing: Framing
    programs: dict
    python: str
    mode: JobMode = JobMode.GRADE
    submission: str | None = None
    isolation: Level = Level.NONE
    bwrap: str | None = None
    limits: Limits = Limits()
    key: str = ""
    workdir: str = ""
    tmp: str = ""
    spec_file: str = ""
    cgroup: dict | None = None
    hide: list[str] = field(default_factory=list)
    refdir: str = ""              # where the engine builds the reference programs of build/run roles
    toolchain: dict = field(default_factory=dict)    # what build/run commands need in the sandbox

    def to_dict(self) -> dict:
        plain = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**plain, "test": self.test.to_dict(), "limits": self.limits.to_dict()}

    @classmethod
    def from_dict(cls, d: dict, read_test: Callable[[dict], Test]) -> "JobRequest":
        """``read_test``: how a test is read back, its parameters by its kind (``kinds.test_from_dict``)."""
        return cls(**{**d, "test": read_test(d["test"]), "limits": Limits.from_dict(d.get("limits", {})),
                      "hide": list(d.get("hide", ()))})


@dataclass
class Job:
    """A test being run in the worker: its request (whose settings it reads as its own: ``job.test``,
    ``job.transport``, ... see ``FROM_REQUEST``) and what the test has started so far."""
    request: JobRequest
    workdir: str              # a private copy of the submission, the student's cwd
    uid: int | None = None    # the students' user when the grader is root (sandbox.claim_user)
    disk_tmpfs: bool = False       # the private copy is on a tmpfs of its own (limits.disk_mib)
    built: dict = field(default_factory=dict)       # (role, path) -> (command, cwd) once built (build.py)
    transcript: Transcript = field(default_factory=Transcript)
    programs_started: list[RunningProgram] = field(default_factory=list)
    students_running: list[tuple[str, RunningProgram]] = field(default_factory=list)   # (role, program)
    variables: dict[str, str] = field(default_factory=dict)   # captured by expectations, used as ${name}
    student_server: Program | None = None     # the latest one started, whose output is shown
    first_start: float | None = None          # time.monotonic() when the first program was started
    memory_watch: MemoryWatch | None = None   # the students' memory together, where no cgroup counts it

    @classmethod
    def from_request(cls, r: JobRequest, workdir: str, uid: int | None = None) -> "Job":
        return cls(request=r, workdir=workdir, uid=uid)

    @property
    def toolchain(self) -> dict:
        return self.request.toolchain or {}

    def env(self) -> dict:
        """Every program's environment, built here: nothing of the grader's own is inherited."""
        return {"PATH": sandbox.program_path(self.python, self.toolchain.get("path", ())), "LANG": "C.UTF-8",
                "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONIOENCODING": "utf-8", "HOME": self.workdir,
                "MALLOC_ARENA_MAX": "2"}        # threads' malloc arenas would use up a bounded address space

    def is_students(self, path: str) -> bool:
        """A program from the private copy is the student's (judged by its name, never by a link's target)."""
        full = os.path.abspath(os.path.join(self.workdir, path))
        return full.startswith(os.path.join(self.workdir, ""))

    def start(self, path: str, args: list[str], stdin: bytes | None = None,
              terminal: bool = False, role: str | None = None) -> RunningProgram:
        """Start the program at ``path``; the student's get the spec's limits, and the sandbox when there is one.

        ``terminal``: on a pseudo-terminal, for a client that prompts with input().
        ``role``: the role it plays; one with a ``run`` command is built first (``build.py``) and
        started with that command, else it is a Python program.
        """
        students = self.is_students(path)
        commands = self.programs[role].get("student_commands" if students else "reference_commands") \
            if role else None
        if commands:
            from grader.job.build import prepare
            command, cwd = prepare(self, role, path, commands)
        else:
            command, cwd = [self.python, "-u", path], self.workdir
        program = self.launch(command + list(args), cwd, students, stdin=stdin, terminal=terminal)
        if students:
            self.students_running.append((role or "program", program))
        return program

    def launch(self, command: list[str], cwd: str, students: bool, stdin: bytes | None = None,
               terminal: bool = False, keep: bool = True) -> RunningProgram:
        """Start ``command`` in ``cwd``; ``students``: as a student program (limits, sandbox; its cwd is
        always the private copy). ``keep``: among the test's programs, closed when it ends."""
        if self.first_start is None:
            self.first_start = time.monotonic()
        options: dict = {"env": {**self.env(), "HOME": cwd}}     # a reference built in its own folder lives there
        if students:
            cwd = self.workdir
            sandboxed = self.isolation == Level.SANDBOX
            if sandboxed:
                command = sandbox.bwrap_argv(self.bwrap, self.workdir, self.python, self.hide, self.uid,
                                             self.toolchain, processes=self.limits.processes) + command
            else:
                command = self.jail_argv() + command
            # A root grader bounds the processes of the test's user of its own; otherwise the sandbox or
            # the jail bounds them in a user namespace of the program's own (level none is refused then).
            own_user = self.uid is not None
            join = cgroups.join(self.cgroup) if self.cgroup else None
            if join is None and self.memory_watch is None:
                self.memory_watch = MemoryWatch(self.limits.memory_mib * MIB)
            usage = self.usage()
            sandbox_env = sandbox.env(self.python, self.toolchain.get("path", ())) if sandboxed else {}
            options = {"env": {**self.env(), **sandbox_env},
                       "preexec": preexec(self.limits, processes=own_user, group=join is not None, join=join),
                       "limits": self.limits, "wrapped": True, "usage": usage}
        if terminal:
            from grader.runner.pty_program import PtyProgram     # pexpect, for these clients only
            program = PtyProgram(command, cwd=cwd, **options)
        else:
            program = Program(command, cwd=cwd, stdin=stdin, **options)
        if keep:
            self.programs_started.append(program)
        if students and self.memory_watch is not None:
            self.memory_watch.watch(program.pid)
        return program

    def usage(self) -> TestUsage:
        """What the test's limits see, for naming the one its programs reached."""
        return TestUsage(cgroups.Usage(self.cgroup) if self.cgroup else None,
                         disk=self.workdir if self.disk_tmpfs else None,
                         processes_limited=self.uid is not None or self.isolation != Level.NONE,
                         watch=self.memory_watch, holders=self.holders)

    def holders(self) -> dict[str, int]:
        """Role -> the processes each running student program has now (itself, its sandbox, its children)."""
        counts: dict[str, int] = {}
        for role, program in self.students_running:
            if program.running():
                counts[role] = counts.get(role, 0) + len(descendants(program.pid))
        return counts

    def limit_explained(self, reason: str, cause: Why | None) -> tuple[str, Why | None]:
        """A failure's reason and cause, with the test's limit its programs reached, if they did and the
        failure does not say so yet (a client that could not start, a server that could not answer)."""
        if cause is not None and cause.kind in (Cause.LIMIT, Cause.NOT_HANDED_IN):
            return reason, cause
        hit = test_limit_reached(self.usage(), self.limits) if self.students_running else None
        if hit is None:
            return reason, cause
        return f"{reason}; {hit.words}", hit.cause(cause.role if cause is not None and cause.role else "server")

    def jail_argv(self) -> list[str]:
        """The launcher of a student program below level sandbox (``jail.py``)."""
        binds, links, masks = sandbox.runtime_binds(self.python)
        binds += [tuple(pair) for pair in self.toolchain.get("binds", ())]
        links += [tuple(pair) for pair in self.toolchain.get("links", ())]
        config = {"namespaces": self.isolation == Level.NETNS, "uid": self.uid, "hide": self.hide,
                  "processes": self.limits.processes if self.uid is None else None,
                  "binds": binds, "links": links, "masks": masks, "workdir": self.workdir,
                  "tmp": os.path.dirname(self.workdir), "tmp_size": sandbox.TMP_SIZE}
        return [self.python, "-S", "-I", JAIL, json.dumps(config), "--"]

    def plain(self, text: str) -> str:
        """Student-facing text: the private copy's path (outside or inside the sandbox) replaced by nothing."""
        return text.replace(self.workdir + os.sep, "").replace(sandbox.INSIDE + "/", "")



# The request's settings a job reads as its own.
FROM_REQUEST = ("test", "transport", "host", "port", "framing", "programs", "python", "mode", "isolation",
                "limits", "hide", "bwrap", "cgroup", "spec_file", "refdir")
for _name in FROM_REQUEST:
    setattr(Job, _name, property(lambda job, name=_name: getattr(job.request, name)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The last line of a Python traceback names the exception.
PYTHON_EXCEPTION = re.compile(r"\w+(?:Error|Exception|Interrupt|Exit)\b")


def crash_summary(stderr: str) -> tuple[str, bool]:
    """("KeyError: 'bob' (contactserverudp.py, line 23)", True) from a Python traceback: the summary for
    the reason, and whether it is a Python exception raised at a known line (a crash tests can share)."""
    lines = [l for l in stderr.strip().splitlines() if l.strip()]
    if not lines:
        return "", False
    last = lines[-1].strip()
    where, file = "", ""
    for l in reversed(lines):
        m = re.match(r'\s*File "([^"]+)", line (\d+)', l)
        if m and not m.group(1).startswith("<"):
            file = os.path.basename(m.group(1))
            where = f" ({file}, line {m.group(2)})"
            break
    python = file.endswith(".py") and bool(PYTHON_EXCEPTION.search(last[:300]))
    if "Missing parentheses in call to 'print'" in stderr or re.search(r"print \"|print '", stderr):
        return f"{last}{where} — this looks like Python 2 code; the course uses Python 3", python
    return last[:300] + where, python
