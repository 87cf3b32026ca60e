"""Grade submissions: spec + submission -> jobs -> workers -> results.

Each test runs in its own worker process (``grader.worker.worker``, forked from
the engine's fork server when it can be), inside a private namespace when the
machine allows, so tests run side by side. The
reference's answers to a test are recorded once per engine and reused.
"""
from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from grader import scratch
from grader import files as submission_files
from grader.grading import cache, diagnose
from grader.grading.pairs import note_disagreement
from grader.input import discover
from grader import paths
from grader.kinds import kind_of
from grader.results import AssignmentResult, Cause, ReferenceRun, Status, TestResult, Why, clients_of, status_of
from grader.shown import name_text
from grader.grading.scoring import score_test
from grader.runner import admission, cgroups, isolation as iso, sandbox, toolchain
from grader.job.context import JobMode, JobRequest, Outcome
from grader.job.errors import NotHandedIn
from grader.worker import protocol
from grader.worker.forkserver import ForkServer
from grader.runner.process import Program
from grader.spec.model import Spec, Test
from grader.spec.modes import Player

WORKER_MARGIN = 15.0


def default_jobs() -> int:
    """Where the number of tests at once starts by default; it then follows the machine
    (grader.runner.admission)."""
    return admission.starting_limit()


class Engine:
    """Grades submissions against specs: each test of each submission runs in a worker process of its
    own (``grader.worker.worker``), at the isolation level chosen once, as many at a time as the machine
    has room for (``grader.runner.admission``); the results come back signed and are scored here.
    Use it as a context manager: leaving it stops the fork server and every worker still running.
    Close it on the thread that made it: the fork server dies with that thread (as every process
    the engine starts dies with the thread that started it, or with the engine killed)."""

    def __init__(self, *, jobs: int | None = None, isolation: str | None = None,
                 python: str = sys.executable, fork_server: bool = True, hide: tuple = ()):
        """``isolation``: None (the default) grades at ``sandbox`` or raises IsolationUnavailable;
        ``netns`` or ``none`` accept less; ``best``, the best this machine allows (see isolation.choose).
        ``hide``: more folders no student program may see (a result cache)."""
        scratch.sweep()            # what gradings killed outright left in the temporary folder
        self.isolation = iso.choose(isolation, python)
        self.bwrap = iso.bwrap_path() if self.isolation == iso.Level.SANDBOX else None
        # -j N: N tests at once; by default as many as the machine has room for (one at level none:
        # the tests share the machine's port).
        self.admission = admission.Admission(jobs or (1 if self.isolation == iso.Level.NONE else None))
        self.jobs = self.admission.ceiling
        self.python = python
        self.hide = tuple(str(h) for h in hide) + (str(cache.default_dir().parent),)
        self._reference_runs: dict[tuple, dict] = {}
        self._reference_locks: dict[tuple, threading.Lock] = {}
        self._lock = threading.Lock()
        # Workers are forked from a process with the grader imported; it needs the test's namespaces
        # to join, so not at level none (one test at a time there anyway).
        self._fork_server = ForkServer(python, protocol.worker_env(_bytecode())) \
            if fork_server and self.isolation != iso.Level.NONE else None
        self._pool = ThreadPoolExecutor(self.jobs)
        backend, self.cgroups_why = cgroups.detect()      # limits for each test as a whole
        try:
            self.cgroups = backend.open() if backend else None
        except OSError as exc:
            backend, self.cgroups = None, None
            self.cgroups_why = f"the engine's cgroup could not be made: {exc}"
        self.limits_by = backend.describe() if backend else "per-process limits only (" + self.cgroups_why + ")"
        self._numbers = itertools.count(1)
        self._running: set[Program] = set()
        self._stopping = False

    def close(self, cancel: bool = False) -> None:
        """Wait for the running tests; ``cancel`` (Ctrl-C, SIGTERM) drops the queued ones and kills the
        running ones with their namespaces: they end as "grading failed", never cached."""
        try:
            if cancel:
                self.stop()
            self._pool.shutdown(wait=True, cancel_futures=cancel)
        finally:
            self.admission.close()
            try:
                if self._fork_server:
                    self._fork_server.close()
            finally:
                if self.cgroups:
                    self.cgroups.close()

    def stop(self) -> None:
        """Kill every running test's worker (and so its namespaces and programs); start no more."""
        with self._lock:
            self._stopping = True
            running = list(self._running)
        self.admission.close()
        for worker in running:
            worker.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(cancel=exc_type is not None)

    # -- submissions --------------------------------------------------------
    def grade(self, submission: Path, spec: Spec, student: str | None = None) -> AssignmentResult:
        return self.grade_all([(submission, spec, student)])[0]

    def grade_all(self, items) -> list[AssignmentResult]:
        """Grade (submission, spec, student name or None) items; all their tests share the pool."""
        futures = [self.submit(submission, spec, student) for submission, spec, student in items]
        return [f.result() for f in futures]

    def submit(self, submission: Path, spec: Spec, student: str | None = None,
               misnamed: dict[str, Path] | None = None) -> Future:
        """Queue every test of one submission; the future's result is its AssignmentResult.

        For a role the student handed in no file for by name, a file that fits it under another name
        is graded (``misnamed``: role -> file, as ``discover.misnamed_across`` chose them for a class;
        by default ``discover.misnamed`` for this spec alone)."""
        submission = Path(submission).resolve()
        files = discover.role_files(submission, spec)
        found = discover.misnamed(submission, spec) if misnamed is None else \
            {r: Path(p).resolve() for r, p in misnamed.items() if files.get(r) is None}
        files.update(found)
        forms = {r: spec.roles[r].form_of(p.name).name for r, p in files.items() if p}
        result = AssignmentResult(student=student or name_text(submission.name), assignment=spec.id,
                                  title=spec.title, tests=[], isolation=self.isolation,
                                  files={r: name_text(str(p.relative_to(submission))) for r, p in files.items() if p},
                                  misnamed={r: name_text(str(p.relative_to(submission))) for r, p in found.items()},
                                  # said only where there was a choice: a role of one form is in it for all
                                  forms={r: f for r, f in forms.items() if len(spec.roles[r].forms) > 1},
                                  left_out=discover.form_notes(submission, spec)
                                  + submission_files.snapshot(submission).problems())
        result.extra["limits"] = self.limits_by          # how the test as a whole was bounded
        self.admission.fit_memory(self._memory_per_test(spec))
        seeds = sorted({t.params.seed for t in spec.tests if t.params.seed is not None})
        if seeds:
            result.extra["seed"] = seeds[0] if len(seeds) == 1 else seeds
        done: Future = Future()
        budget = _Budget(spec.limits.submission_seconds)
        tests = [self._pool.submit(self._grade_test, submission, spec, replace(test, hint=test.hint_for(forms)),
                                   files, budget) for test in spec.tests]
        left = [len(tests)]

        def finished(_) -> None:
            with self._lock:
                left[0] -= 1
                if left[0]:
                    return
            try:
                result.tests = [f.result() for f in tests]
                result.status = status_of(result.tests)
                note_disagreement(result.tests)
            except BaseException as exc:   # a bug of the grader, or the batch was cancelled
                done.set_exception(exc)
                return
            result.duration = round(sum(t.duration for t in result.tests), 3)     # as to_dict writes it
            done.set_result(result)

        if not tests:
            done.set_result(result)
        for f in tests:
            f.add_done_callback(finished)
        return done

    def _memory_per_test(self, spec: Spec) -> int:
        """The most memory one test of ``spec`` may take: its student programs' limit, and where no
        cgroup charges them to it, the tmpfs mounts they may fill (their copy, and each program's
        temporary folders), beside the grader's own part."""
        limits, mib = spec.limits, 1 << 20
        held = limits.memory_mib * mib
        if self.cgroups is None:
            held += limits.disk_mib * mib + len(spec.roles) * 4 * sandbox.TMP_SIZE
        return held + admission.MEMORY_PER_TEST

    def _grade_test(self, submission: Path, spec: Spec, test: Test, files: dict,
                    budget: "_Budget") -> TestResult:
        missing = [r for r in test.roles_used if files.get(r) is None]
        if missing:
            absent = NotHandedIn(" or ".join(spec.roles[missing[0]].files))
            return score_test(test, status=Status.NOT_HANDED_IN, reason=str(absent), cause=absent.cause,
                              missing=absent.names)
        if budget.used_up():
            return score_test(test, status=Status.NOT_RUN, reason=f"not run: the tests of this submission already "
                                                                  f"took {budget.seconds:g} s, the most they may take",
                              cause=Why(Cause.NOT_RUN))
        if test.needs_reference_answers():
            answers = self.reference_answers(spec, test)
            if isinstance(answers, str):
                return score_test(test, status=Status.GRADING_FAILED, reason=f"grading failed: {answers}")
            test = test.with_answers(answers)
        started = time.monotonic()
        outcome = self.run_worker(spec, test, submission, files)
        budget.spend(outcome.duration or time.monotonic() - started)
        if outcome.status is Status.GRADING_FAILED:
            first_line = (outcome.error.splitlines() or ["the worker said nothing"])[0]
            return score_test(test, status=Status.GRADING_FAILED, reason="grading failed: " + first_line,
                              outcome=outcome)
        result = score_test(test, status=outcome.status, reason=outcome.reason, cause=outcome.cause,
                            outcome=outcome, missing=outcome.missing)
        if result.status is Status.FAILED and len(clients_of(result.transcript)) > 1:
            result.reference = self._reference_beside(spec, test)
        if result.status is Status.FAILED and test.is_pairing:
            note = self._pair_difference(spec, test, outcome.wire)
            result.notes.append(note)
            result.parted = bool(note)
        return result

    def _reference_beside(self, spec: Spec, test: Test) -> ReferenceRun | None:
        """The reference's run of a failed test of several clients, drawn beside the student's (the run the
        reference's answers and the pair note use, once per engine); None if the reference failed it."""
        reference = self._reference_run(spec, test)
        return ReferenceRun(reference.transcript, dict(reference.metrics)) if reference.passed else None

    def _pair_difference(self, spec: Spec, test: Test, wire: list) -> str:
        reference = self._reference_run(spec, test)
        if not reference.passed:
            return ""
        ours, theirs = [tuple(m) for m in wire], [tuple(m) for m in reference.wire]
        where = diagnose.first_difference(ours, theirs)
        if not where:
            return ""
        return (f"{PAIR_NOTE}: {where}.\n"
                f"Your pair:\n{diagnose.render(ours)}\nThe reference pair:\n{diagnose.render(theirs)}")

    # -- the reference's answers, once per engine -------------------------
    def reference_answers(self, spec: Spec, test: Test) -> dict[int, str] | str:
        """Answers by step index, or a string saying why the reference failed."""
        outcome = self._reference_run(spec, test)
        if not outcome.passed:
            return "the reference program failed this test: " + (outcome.error or outcome.reason)
        return dict(outcome.answers)

    def _reference_run(self, spec: Spec, test: Test) -> Outcome:
        """The test played by the reference programs alone, once per engine."""
        key = (str(spec.source), test.name)
        with self._lock:
            lock = self._reference_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._reference_runs:
                self._reference_runs[key] = self.run_worker(spec, test, None, {}, mode=JobMode.RECORD)
            return self._reference_runs[key]

    # -- one worker -------------------------------------------------------
    def run_worker(self, spec: Spec, test: Test, submission: Path | None, files: dict,
                   mode: JobMode = JobMode.GRADE) -> Outcome:
        programs = {}
        for name, role in spec.roles.items():
            student = files.get(name)
            programs[name] = {
                Player.STUDENT: str(student.relative_to(submission)) if student and submission else None,
                Player.REFERENCE: str(role.reference) if role.reference else None,
                "args": list(role.args),
                "names": " or ".join(role.files),
                "student_commands": role.commands(True, student.name if student else None),   # None: Python
                "reference_commands": role.commands(students=False),
            }
            if mode == JobMode.RECORD:
                programs[name][Player.STUDENT] = programs[name][Player.REFERENCE]
                programs[name]["args"] = ["--port", str(spec.port)]
                programs[name]["student_commands"] = programs[name]["reference_commands"]
        with self.admission.slot() as admitted:
            if not admitted:
                return Outcome.grading_failed(INTERRUPTED)
            return self._run_admitted(spec, test, submission, programs, mode)

    def _run_admitted(self, spec, test, submission, programs, mode) -> Outcome:
        key = protocol.new_key()
        workdir = scratch.make("test")     # the student's copy; ours to remove
        # Where reference programs with a `build` command are built: never the student's copy.
        refdir = scratch.make("ref") if any(f.run for r in spec.roles.values() for f in r.forms) else ""
        group = None
        try:
            if self.cgroups and mode == JobMode.GRADE:
                try:
                    group = self.cgroups.test_group(f"test-{next(self._numbers)}",
                                                    spec.limits.memory_mib << 20, spec.limits.processes)
                except OSError as exc:
                    return Outcome.grading_failed(f"the test's limits could not be set up: {exc}")
            return self._run(spec, test, submission, programs, mode, key, workdir, group, refdir)
        finally:
            if group:
                group.close()
            shutil.rmtree(workdir, ignore_errors=True)
            if refdir:
                shutil.rmtree(refdir, ignore_errors=True)

    def _run(self, spec, test, submission, programs, mode, key, workdir, group, refdir="") -> Outcome:
        job = JobRequest(test=test, transport=spec.transport, host=spec.host, port=spec.port,
                         framing=spec.framing, programs=programs, python=self.python, mode=mode,
                         submission=str(submission) if submission else None, isolation=self.isolation,
                         bwrap=self.bwrap, limits=spec.limits, key=key, workdir=workdir,
                         tmp=tempfile.gettempdir(), spec_file=Path(spec.source).name,
                         cgroup=group.to_job() if group else None,
                         hide=_hidden_from_students(spec, submission, self.hide + ((refdir,) if refdir else ())),
                         refdir=refdir, toolchain=toolchain.find(toolchain.commands_of(f for r in spec.roles.values() for f in r.forms),
                                                                 os.environ.get("PATH", os.defpath)))
        argv, env = protocol.launch(self.python, iso.wrapper(self.isolation), self._fork_server, _bytecode())
        budget = _budget(test) + sum(2 * r.build_timeout for r in spec.roles.values())
        with self._lock:
            if self._stopping:
                return Outcome.grading_failed(INTERRUPTED)
            # It dies with this thread, which waits for it (unshare ends the namespace with it). At level
            # none, where no namespace would end what the test started, the worker is told to end it.
            worker = Program(argv, cwd="/", env=env, stdin=json.dumps(job.to_dict()).encode(), cap=64 << 20,
                             parent_death=signal.SIGTERM if self.isolation == iso.Level.NONE else signal.SIGKILL)
            self._running.add(worker)
        try:
            code = worker.wait(budget)
            if self._stopping:
                return Outcome.grading_failed(INTERRUPTED)
            if code is None:
                return Outcome.grading_failed(f"the test did not finish within {budget:g} s and was stopped")
            return protocol.verified_outcome(code, bytes(worker.stdout.data), key, worker.stderr.text())
        finally:
            worker.close()
            with self._lock:
                self._running.discard(worker)


class _Budget:
    """The wall-clock time a submission's tests may take for one spec, summed over its tests.

    Summing each test's own duration, rather than timing the submission from
    its first test, keeps a busy pool from using up a student's time.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.used = 0.0
        self._lock = threading.Lock()

    def used_up(self) -> bool:
        with self._lock:
            return self.used >= self.seconds

    def spend(self, seconds: float) -> None:
        with self._lock:
            self.used += seconds


def _hidden_from_students(spec: Spec, submission: Path | None, more: tuple = ()) -> list[str]:
    """What a student program must not see even where it lies under a folder it can see."""
    shipped = paths.shipped_specs_dir()
    hidden = {spec.source.parent, shipped, shipped.parent / "reference", Path(cgroups.ROOT), *map(Path, more),
              *map(Path, paths.homes())}
    hidden |= {role.reference.parent for role in spec.roles.values() if role.reference}
    if submission:
        hidden |= {submission, submission.parent}
    return sorted(str(p) for p in hidden)


def _bytecode() -> Path:
    return cache.default_dir().parent / "bytecode"


def _budget(test: Test) -> float:
    return kind_of(test).budget(test) + WORKER_MARGIN


INTERRUPTED = "the test was stopped: grading was interrupted"
PAIR_NOTE = "Where your pair parts from the reference client with the reference server"


