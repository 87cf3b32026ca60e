"""Grade a class: every student against every spec that applies, all tests in one pool.

The students come from ``grader.input.classroom``; results already in the cache are
reused; the rest go to the engine at once, so students and their tests run side
by side. Whatever happens to one student (a damaged zip, a huge folder, a bug
of the grader) becomes that student's "grading failed" result, with the reason,
and the batch goes on. Regrading (``regrade``) reads nothing from the cache
and writes every fresh result over what it held; when the specs are cut down to
some tests (``whole`` names the specs they were cut from), the fresh tests are
also merged into each student's cached record of the whole spec, when there is one. What the teacher should know but concerns no
student (a cache that cannot be written, entries of a class zip in no student's
folder) is in ``BatchRun.warnings``.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader import files
from grader.input import classroom, discover
from grader.grading.cache import ResultCache, merged
from grader.results import AssignmentResult, Status
from grader.spec import Spec
from grader.shown import name_text, shown

NOTHING = ""     # the assignment of a record that says why nothing could be graded
SHARD = "shard"  # the key of a shard's mark in every record's ``extra``


@dataclass
class BatchRun:
    results: list[AssignmentResult]
    students: list[str]
    single: bool                   # PATH was one student's submission
    graded: int = 0                # assignment results graded in this run
    cached: int = 0                # taken from the cache
    skipped: list[str] = field(default_factory=list)   # students in other shards
    shard: dict | None = None      # graded as a shard: what each of its records carries (``shard_mark``)
    unselected: list[str] = field(default_factory=list)  # students not named by ``only`` (--student)
    merged: int = 0                # cached records of the whole spec updated with fresh tests (regrade --test)
    warnings: list[str] = field(default_factory=list)  # for the teacher: a cache that cannot be written, ...
    interrupted: KeyboardInterrupt | None = None       # Ctrl-C or SIGTERM stopped it: the results are partial


class Progress:
    """What a batch tells whoever shows progress; this one shows nothing."""

    def start(self, students: int) -> None:
        pass

    def student_done(self, student: str, results: list[AssignmentResult]) -> None:
        pass


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/5"`` -> (2, 5): the second of five shards (K counts from 1, as CI matrices do)."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes K/N, like 1/4, not {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard {text}: K must be between 1 and N")
    return k, n


def dealt(names, shard: tuple[int, int]) -> set[str]:
    """The names of shard K of N: the class sorted by name and dealt in turn (the i-th to shard
    i mod N + 1), so shards differ by at most one student and a class list always splits the same way."""
    k, n = shard
    return {name for i, name in enumerate(sorted(names)) if i % n == k - 1}


def shard_sizes(students: int, n: int) -> list[int]:
    """How many students each of the N shards of a class of ``students`` holds (shard 1 first)."""
    return [students // n + (k < students % n) for k in range(n)]


def class_digest(names) -> str:
    """Names the class's whole student list: shards of one class carry the same digest."""
    return "sha256:" + hashlib.sha256("\0".join(sorted(names)).encode("utf-8")).hexdigest()[:16]


def shard_mark(names, shard: tuple[int, int]) -> dict:
    """What every record of a shard carries (``extra["shard"]``) so that ``grade merge`` can tell a
    whole set of shards from a partial one, or from shards of another class."""
    k, n = shard
    return {"k": k, "n": n, "students": len(names), "class": class_digest(names)}


def failed(student: str, reason: str, spec: Spec | None = None, isolation: str = "none",
           status: Status = Status.NOT_GRADED) -> AssignmentResult:
    """A record of why nothing could be graded: NOT_GRADED for a reason of the submission's own,
    GRADING_FAILED for the grader's failure."""
    return AssignmentResult(student=student, assignment=spec.id if spec else NOTHING,
                            title=spec.title if spec else "nothing graded", tests=[],
                            isolation=isolation, error=reason, status=status)


def grade_class(path: Path, specs: list[Spec], engine, *, all_specs: bool = False,
                cache: ResultCache | None = None, shard: tuple[int, int] | None = None,
                single: bool = False, skip=(), progress: Progress | None = None, regrade: bool = False,
                only: list[str] | None = None, whole: list[Spec] | None = None) -> BatchRun:
    """Grade everyone at ``path``.

    ``all_specs``: every student is graded against every spec in ``specs`` (the
    teacher named them); otherwise against the specs whose files they handed in.
    ``skip``: folders inside the class that are not students (where outputs go).
    ``regrade``: the cache is not read, and every fresh result replaces its entry.
    ``only``: grade only the students of these names (ValueError for a name not in the class).
    ``whole``: the whole specs those of ``specs`` were cut from (``--test``); with
    ``regrade``, a student's fresh tests are merged into their cached record of the whole spec,
    and the run's result is that whole record; without one, only the tests asked for are graded.
    """
    progress = progress or Progress()
    scratch = Path(tempfile.mkdtemp(prefix="sockgrade-class-"))
    try:
        found = classroom.open_class(Path(path), specs, scratch, single=single, skip=skip)
        everyone = found.students
        if only is not None:
            names = {s.name for s in everyone}
            unknown = [n for n in only if n not in names | {shown(n) for n in names}]
            if unknown:
                listed = shown(", ".join(sorted(names)[:20])) + (" ..." if len(names) > 20 else "")
                raise ValueError(f"--student {unknown[0]}: no student of that name in {path}"
                                 f" (the students: {listed or 'none'})")
            # a name as the class table shows it (``shown``) is that student's too
            everyone = [s for s in everyone if s.name in only or shown(s.name) in only]
        names = [s.name for s in found.students]
        mine = dealt(names, shard) if shard else set(names)
        students = [s for s in everyone if s.name in mine]
        run = BatchRun(results=[], students=[s.name for s in students], single=found.single,
                       skipped=[s.name for s in everyone if s.name not in mine],
                       unselected=sorted({s.name for s in found.students} - {s.name for s in everyone}),
                       warnings=list(found.notes), shard=shard_mark(names, shard) if shard else None)
        progress.start(len(students))
        done: dict[str, list[AssignmentResult]] = {s.name: [] for s in students}
        waiting: dict[str, int] = {}
        futures: dict[Future, list[_Wanted]] = {}
        by_key: dict[str, Future] = {}       # identical submissions are graded once per run
        keys = cache or ResultCache(None)
        keeping = keys.folder is not None    # until the cache cannot be written
        for student in students:
            plan, misnamed = _plan(student, specs, all_specs, scratch, engine.isolation)
            for spec, result in plan:
                want = _Wanted(student.name, spec)
                if result is None:
                    want.key = _key(keys, student, spec, engine.isolation)
                    if regrade:
                        want = _regrading(want, keys, student, _whole_of(spec, whole), engine.isolation)
                    else:
                        result = keys.get(want.key, student.name) if want.key else None
                        run.cached += result is not None
                if result is None:
                    future = by_key.get(want.key) if want.key else None
                    if future is None:
                        future = _submit(engine, student, spec, misnamed.get(spec.id, {}))
                        if want.key:
                            by_key[want.key] = future
                    futures.setdefault(future, []).append(want)
                    waiting[student.name] = waiting.get(student.name, 0) + 1
                else:
                    done[student.name].append(result)
            if not waiting.get(student.name):
                progress.student_done(student.name, done[student.name])

        def collect(future: Future) -> None:
            nonlocal keeping
            for want in futures[future]:
                name, spec = want.student, want.spec
                try:
                    result = replace(future.result(), student=name)
                except Exception as exc:     # the grader's own failure: this student only
                    result = failed(name, f"grading failed: the grader itself failed: {type(exc).__name__}: "
                                          f"{exc}", spec, engine.isolation, Status.GRADING_FAILED)
                else:
                    run.graded += 1
                    for key, kept in want.entries(result):
                        if key is not None and keeping:
                            keeping = _keep(keys, key, kept, run)
                    if want.record is not None:
                        run.merged += 1
                    result = want.shown(result)
                done[name].append(result)
                waiting[name] -= 1
                if not waiting[name]:
                    progress.student_done(name, done[name])

        pending = set(futures)
        try:
            for future in as_completed(futures):
                pending.discard(future)
                collect(future)
        except KeyboardInterrupt as stop:
            # The running tests are killed and the queued ones come back at once as "grading failed":
            # the students that finished keep their results, the others are marked, nothing is cached.
            run.interrupted = stop
            engine.stop()
            for future in as_completed(pending):
                collect(future)
        known = {s.name: s for s in students}
        run.results = sorted((_with_submission(r, known.get(r.student)) for rs in done.values() for r in rs),
                             key=lambda r: (r.student, r.assignment))
        if run.shard:      # on the run's results only: the cache holds what any run may reuse
            run.results = [replace(r, extra={**r.extra, SHARD: run.shard}) for r in run.results]
        return run
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass
class _Wanted:
    """One (student, assignment) to grade, and where its fresh result goes in the cache."""
    student: str
    spec: Spec                                 # what the run asked for (cut down with --test)
    key: str | None = None                     # the cache entry of ``spec``
    whole_key: str | None = None               # regrading a cut spec: the entry of the whole spec
    record: AssignmentResult | None = None     # ... the cached record the fresh tests go into

    def entries(self, result: AssignmentResult) -> list[tuple[str | None, AssignmentResult]]:
        """(cache key, result to keep there) for a fresh ``result``."""
        if self.record is not None:
            return [(self.key, result), (self.whole_key, merged(self.record, result))]
        return [(self.key, result)]

    def shown(self, result: AssignmentResult) -> AssignmentResult:
        """What the run reports: the whole record when a cut spec was regraded into it."""
        return merged(self.record, result) if self.record is not None else result


def _whole_of(spec: Spec, whole: list[Spec] | None) -> Spec | None:
    """The spec ``spec`` was cut from: the same id and file."""
    return next((w for w in whole or () if (w.id, w.source) == (spec.id, spec.source)), None)


def _regrading(want: _Wanted, cache: ResultCache, student, whole: Spec | None, isolation: str) -> _Wanted:
    """With the specs cut down to some tests: merge into the cached record of the whole spec, if any
    (read only to be updated); without one, only the tests asked for are graded (and kept)."""
    if whole is None or cache.folder is None or len(whole.tests) == len(want.spec.tests):
        return want                            # nothing cut, or no cache to merge into
    want.whole_key = _key(cache, student, whole, isolation)
    if want.whole_key is None:
        return want
    want.record = cache.get(want.whole_key, student.name)
    return want


def _keep(cache: ResultCache, key: str, result: AssignmentResult, run: BatchRun) -> bool:
    """Keep a result in the cache. One that cannot be written (read-only, full) is a warning, once:
    False, and the run's other results are not tried (they are in the run all the same)."""
    try:
        cache.put(key, result)
    except Exception as exc:
        why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        run.warnings.append(f"warning: results could not be kept in the cache ({cache.folder}): {why}")
        return False
    return True


def _key(cache, student, spec, isolation) -> str | None:
    try:
        return cache.key(student.path, spec, isolation)
    except OSError:          # an unreadable file: grade it, and let grading say what is wrong
        return None


def _with_submission(result: AssignmentResult, student) -> AssignmentResult:
    """The result with when the student handed in and their LMS id, as the download said."""
    if student is None or not (student.submitted_at or student.lms_id):
        return result
    return replace(result, submitted_at=student.submitted_at, student_id=student.lms_id)


def _submit(engine, student, spec, misnamed: dict):
    """Queue the student's tests; a failure before any test runs is returned as a done future."""
    try:
        return engine.submit(student.path, spec, student.name, misnamed=misnamed)
    except Exception as exc:
        future: Future = Future()
        future.set_exception(exc)
        return future


def _plan(student, specs, all_specs, scratch, isolation) -> tuple[list[tuple[Spec | None, AssignmentResult | None]],
                                                                   dict[str, dict[str, Path]]]:
    """(spec, None) for each assignment to grade, or (None, result) saying why there is none; and the files
    under other names that fit the specs' roles (``discover.misnamed_across``: matched for all the run's
    specs at once, so that no file is graded for two assignments)."""
    student.prepare(scratch)
    if student.problem:
        chosen = specs if all_specs else [None]
        return [(spec, failed(student.name, student.problem, spec, isolation)) for spec in chosen], {}
    try:
        misnamed = discover.misnamed_across(student.path, specs)
        chosen = specs if all_specs else [s for s in specs if discover.applies(student.path, s)]
        if not chosen:           # no file by its name: the assignments whose roles files fit under others
            chosen = [s for s in specs if misnamed.get(s.id)]
    except OSError as exc:
        return [(None, failed(student.name, f"could not read the submission: {exc.strerror or exc}",
                              isolation=isolation))], {}
    if not chosen:
        return [(None, failed(student.name, nothing_found(student.path, specs), isolation=isolation))], {}
    return [(spec, None) for spec in chosen], misnamed


def nothing_found(folder: Path, specs: list[Spec]) -> str:
    handed = files.snapshot(folder)
    names = sorted(name_text(e.path) for e in handed.entries
                   if e.kind != files.DIR and not set(e.path.split("/")) & set(classroom.JUNK))
    expected = sorted({role.files[0] for spec in specs for role in spec.roles.values()})
    listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return "; ".join(["no assignment found: none of the specs' file names are there "
                      f"(handed in: {listed or 'nothing'}; expected names such as {', '.join(expected)})",
                      *handed.problems()])
