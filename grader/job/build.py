"""Build a role's program before the test starts it: a role with ``build:`` and ``run:`` commands.

A student's program is built in the test's private copy of the submission,
as a student program: in the same sandbox (or jail), as the same user, with
the same limits as the program it makes. A compiler is then no way around the
isolation: ``#include "/path/to/the/reference.c"`` reads only what the
student's program itself could read, which is nothing of the grader's. A
build that fails, or runs out of time or of a limit, fails the test with the
compiler's first lines as the reason.

A reference program is trusted, like the Python ones, and built as the
grader's user in a folder of the engine's for this test (``job.refdir``),
never in the spec's folder. A reference that does not build is the grader's
problem ("grading failed"), never the student's; so is a compiler missing
from this machine.

Each is built once per test, when the test first starts it.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
from typing import TYPE_CHECKING

from grader.job.errors import GraderProblem, TestFailed
from grader.results import Cause, Why
from grader.runner.limits import stop_reason
from grader.runner.toolchain import locate
from grader.spec.variables import substitute

if TYPE_CHECKING:        # the job starts its programs through prepare(): no import back at run time
    from grader.job.context import Job

QUOTED_LINES = 3        # of the compiler's message, in the reason, from its first error
QUOTED_WIDTH = 200      # characters of each
# gcc's and javac's markers under the line they quote: "      |     ^~~~", "         ^"
MARKER_LINE = re.compile(r"^[\s|]*[\^~][\s^~]*$")


def prepare(job: Job, role: str, path: str, commands: dict) -> tuple[list[str], str]:
    """(the command that runs the role's program, the folder it runs in), built first if it needs to be."""
    key = (role, path)
    if key in job.built:
        return job.built[key]
    students = job.is_students(path)
    if students:
        folder, file = job.workdir, os.path.relpath(os.path.join(job.workdir, path), job.workdir)
    else:
        if not job.refdir:
            raise GraderProblem("no folder to build the reference program in")
        folder = os.path.join(job.refdir, role)
        os.makedirs(folder, exist_ok=True)
        file = os.path.basename(path)
        shutil.copyfile(path, os.path.join(folder, file))
    if file.startswith("-"):
        file = "./" + file          # never an option of the compiler
    fill = lambda command: [substitute(arg, {"file": file}) for arg in command]     # noqa: E731
    for key_ in ("build", "run"):
        if commands.get(key_) and (problem := missing_program(job, commands[key_][0], students)):
            raise GraderProblem(f"the `{key_}` command of role {role!r} cannot run here: {problem}")
    if commands.get("build"):
        _build(job, role, fill(commands["build"]), folder, students, commands.get("build_timeout", 60.0))
    job.built[key] = (fill(commands["run"]), folder)
    return job.built[key]


def missing_program(job: Job, program: str, students: bool) -> str:
    """Why ``program`` (a command's first item) cannot be found on this machine, '' when it can.
    A program in the submission (``./server``) is the build's to make: never missing here."""
    if "/" in program and not program.startswith("/"):
        return ""
    if locate(program, job.env()["PATH"]):
        return ""
    return f"{program} is not installed on this machine (looked on the PATH: {job.env()['PATH']})"


def _build(job: Job, role: str, command: list[str], folder: str, students: bool, timeout: float) -> None:
    whose = f"your {role}" if students else f"the reference {role}"
    shown = job.plain(" ".join(shlex.quote(a) for a in command))
    job.transcript.add(role, "note", f"building {whose}: {shown}")
    # A student's build is one of the test's programs (its output shows when it fails); the reference's is not.
    program = job.launch(command, folder, students, keep=students)
    try:
        code = program.wait(timeout)
    finally:
        program.close()
    if code == 0:
        job.transcript.add(role, "note", f"built {whose}")
        return
    limit = stop_reason(program) if code is not None else None      # closed once out of time: killed by us
    if code is None:
        problem = f"did not finish within {timeout:g} s"
    elif limit:
        problem = f"stopped: {limit.words}"
    else:
        problem = f"failed: `{shown}` exited with code {code}"
    said = compiler_message(job.plain(program.stderr.text()) or job.plain(program.stdout.text()))
    reason = f"building {whose} {problem}" + (f": {said}" if said else "")
    job.transcript.add(role, "note", reason)
    if not students:
        raise GraderProblem(reason)
    job.student_server = program        # the compiler's whole message is the output the test shows
    raise TestFailed(reason, Why(Cause.BUILD_FAILED, role=role, code=code, limit=limit.limit if limit else "",
                                 value=limit.value if limit else None, detail=said))


def compiler_message(text: str) -> str:
    """The first lines of what a compiler said from its first error (gcc starts with "In function ..."),
    trimmed, on one line (' | ' between them)."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line and not MARKER_LINE.match(line)]
    first_error = next((i for i, line in enumerate(lines) if "error" in line.lower()), 0)
    quoted = lines[first_error:first_error + QUOTED_LINES]
    return " | ".join(line if len(line) <= QUOTED_WIDTH else line[:QUOTED_WIDTH - 3] + "..." for line in quoted)
