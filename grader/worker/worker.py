"""Run one test and print its outcome as JSON: ``python -m grader.worker.worker``.

The engine starts this module inside the test's namespace (see
``isolation.py``) and writes the job as JSON on stdin. Everything the test
starts is killed in ``finally`` before the outcome is written.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys
import tempfile
import time

# The engine starts the worker with python -S, as site's .pth files cost more than the rest of
# its start-up; the packages beyond the standard library (pexpect) are found on the engine's
# own import path, appended here after the worker's as site would have appended them.
sys.path += [p for p in os.environ.get("SOCKGRADE_SITE_PATH", "").split(os.pathsep) if p and p not in sys.path]

from grader import files  # noqa: E402
from grader.kinds import kind_of, test_from_dict  # noqa: E402
from grader.runner import isolation, linux, sandbox  # noqa: E402
from grader.results import Status  # noqa: E402
from grader.job.context import Job, JobMode, JobRequest, Outcome  # noqa: E402
from grader.job.errors import GraderProblem, NotHandedIn, TestFailed  # noqa: E402
from grader.worker import protocol  # noqa: E402
from grader.runner.process import become_subreaper, kill_all_descendants  # noqa: E402
from grader.runner.sockets import port_in_use  # noqa: E402
# A kind's runner (grader.kinds) imports what it needs when it runs: every import is paid once per
# test, in a worker of its own.


def run_job(request: JobRequest, forked: bool = False) -> Outcome:
    outcome = Outcome()
    started = time.monotonic()
    workdir = request.workdir or tempfile.mkdtemp(prefix="sockgrade-")   # the engine removes its own
    job = None
    try:
        disk = request.isolation in (isolation.Level.NETNS, isolation.Level.SANDBOX)
        if disk:       # in the test's own mount namespace: the host's disk never sees what the student writes
            # What the programs may write comes on top of what the submission already holds.
            limits = request.limits
            held, entries = files.snapshot(request.submission).size() if request.submission else (0, 0)
            linux.mount("tmpfs", workdir, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV,
                        f"size={(limits.disk_mib << 20) + held},nr_inodes={limits.files + entries + 1},mode=0700")
        if request.submission:
            files.copy(request.submission, workdir)     # never following a link the student handed in
        uid = None
        if sandbox.real_root():         # at every level, student programs run as a user of their own
            uid = sandbox.claim_user()
            sandbox.give_to(workdir, uid)
        job = Job.from_request(request, workdir, uid)
        job.disk_tmpfs = disk
        if job.isolation == isolation.Level.NONE and job.mode == JobMode.GRADE and port_in_use(job.transport, job.port):
            # On the machine's own loopback a program outside the test holds the port: not the student's doing.
            outcome.status = Status.GRADING_FAILED
            outcome.error = (f"{job.transport.upper()} port {job.port} is taken by another program on this "
                             f"machine, so the test could not run (grade at level netns or sandbox, where "
                             f"each test has a loopback of its own, or stop that program)")
            return outcome
        _run_test(job, outcome)
        outcome.status = Status.PASSED       # a kind fails its test by raising TestFailed
    except GraderProblem as problem:
        outcome.status, outcome.error = Status.GRADING_FAILED, str(problem)
    except NotHandedIn as absent:
        outcome.status, outcome.reason, outcome.missing = Status.NOT_HANDED_IN, str(absent), absent.names
        outcome.cause = absent.cause
    except TestFailed as failure:
        outcome.reason, outcome.cause, outcome.difference = str(failure), failure.cause, failure.difference
        if job is not None:
            outcome.reason, outcome.cause = job.limit_explained(outcome.reason, outcome.cause)
    finally:
        verdict = time.monotonic()
        if job is not None:
            if job.memory_watch is not None:
                job.memory_watch.stop()
            for program in job.programs_started:
                program.close()
            outcome.transcript = job.transcript.to_list()
            shown = job.student_server or (job.programs_started[0] if job.programs_started else None)
            if shown:
                # Without trailing newlines: a program stopped at the end of the test may be between
                # print's two writes (the text, then its newline), and the record must not depend on it.
                outcome.server_output = job.plain(shown.stdout.text().rstrip("\n") + (
                    f"\n[stderr]\n{shown.stderr.text().rstrip()}" if shown.stderr.data.strip() else ""))
        kill_all_descendants()
        shutil.rmtree(workdir, ignore_errors=True)
        outcome.duration = round(time.monotonic() - started, 3)
        if job is not None and job.first_start is not None:
            outcome.timing = _timing(job.first_start, verdict, forked)
    return outcome


def _timing(first_program: float, verdict: float, forked: bool) -> dict[str, float]:
    """When the test's first program started and when its verdict was known (monotonic), the CPU
    seconds of this worker so far (its interpreter's start included unless it was forked from the
    fork server), and whether it was."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {"first_program": first_program, "verdict": verdict, "worker_cpu": own.ru_utime + own.ru_stime,
            "forked": float(forked)}


def _run_test(job: Job, outcome: Outcome) -> None:
    kind_of(job.test).run(job, outcome)


def main(forked: bool = False) -> int:
    """``forked``: started by the fork server (``forkserver.py``) rather than as a program."""
    signal.signal(signal.SIGTERM, _end_with_the_test)
    make_undumpable()
    request = JobRequest.from_dict(json.load(sys.stdin), test_from_dict)
    if request.tmp:
        # The engine's temporary folder, found there: finding it here would write a probe file, which
        # stays behind when the test is stopped at that moment.
        tempfile.tempdir = request.tmp
    key, request.key = request.key.encode(), ""
    if request.isolation in (isolation.Level.NETNS, isolation.Level.SANDBOX):
        isolation.bring_loopback_up()
        isolation.limit_ipc()
    become_subreaper()
    try:
        outcome = run_job(request, forked)
    except Exception as exc:  # the grader's own bug: report it, never hide it
        import traceback
        outcome = Outcome.grading_failed(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
    body = json.dumps(outcome.to_dict()).encode()
    # Signed with the key only the engine and this process know (protocol.verified_outcome checks it).
    sys.stdout.buffer.write(protocol.signed(body, key))
    return 0


def _end_with_the_test(signum, _frame) -> None:
    """SIGTERM: end what the test started, then ourselves. At level ``none`` it is how the engine's
    death reaches us (the parent-death signal it asks for), and no namespace would end the rest."""
    kill_all_descendants()
    os._exit(128 + signum)


def make_undumpable() -> None:
    """No process of the same user may open this one's /proc files (its descriptors, memory, environment)."""
    linux.prctl(linux.PR_SET_DUMPABLE, 0)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)     # no interpreter teardown: everything the test started is gone already
