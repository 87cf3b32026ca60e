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
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader import scratch as scratch_folders
from grader import files
from grader.input import classroom, discover
from grader.grading import standing
from grader.grading.cache import ResultCache, merged
from grader.results import AssignmentResult, Status, status_of
from grader.spec import Spec
from grader.specfile.advice import advice
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

    def student_done(self, student: str, counted: standing.Standing) -> None:
        """``counted``: what the student's results count as (``grader.grading.standing``)."""


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
    ``whole``: the whole specs those of ``specs`` were cut from (``--test``): their tests are read
    from a student's cached record of the whole spec; with ``regrade``, the fresh tests are merged
    into it and the run's result is that whole record; a student without one is graded on the tests
    asked for only.
    """
    progress = progress or Progress()
    scratch = Path(scratch_folders.make("class"))
    try:
        run, students = _select(Path(path), specs, scratch, single=single, skip=skip, only=only, shard=shard)
        batch = _Batch(run, engine, cache or ResultCache(None), progress, regrade=regrade, whole=whole)
        progress.start(len(students))
        for student in students:        # each student's tests start while the next one is planned
            batch.submit(student, batch.plan(student, specs, all_specs, scratch))
        batch.collect()
        run.results = _reported(run, students, batch.done)
        return run
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _select(path: Path, specs: list[Spec], scratch: Path, *, single: bool, skip, only: list[str] | None,
            shard: tuple[int, int] | None) -> tuple[BatchRun, list]:
    """The students to grade now (those ``only`` names, in this shard), and the run that will hold their results."""
    found = classroom.open_class(path, specs, scratch, single=single, skip=skip)
    everyone = _named(found.students, only, path) if only is not None else found.students
    names = [s.name for s in found.students]
    mine = dealt(names, shard) if shard else set(names)
    students = [s for s in everyone if s.name in mine]
    run = BatchRun(results=[], students=[s.name for s in students], single=found.single,
                   skipped=[s.name for s in everyone if s.name not in mine],
                   unselected=sorted(set(names) - {s.name for s in everyone}),
                   warnings=list(found.notes) + [f"warning: {a.one_line()}" for spec in specs for a in advice(spec)],
                   shard=shard_mark(names, shard) if shard else None)
    return run, students


def _named(students: list, only: list[str], path: Path) -> list:
    """The students ``only`` names; a name as the class table shows it (``shown``) is that student's too."""
    names = {s.name for s in students}
    unknown = [n for n in only if n not in names | {shown(n) for n in names}]
    if unknown:
        listed = shown(", ".join(sorted(names)[:20])) + (" ..." if len(names) > 20 else "")
        raise ValueError(f"--student {unknown[0]}: no student of that name in {path}"
                         f" (the students: {listed or 'none'})")
    return [s for s in students if s.name in only or shown(s.name) in only]


def _reported(run: BatchRun, students: list, done: dict[str, list[AssignmentResult]]) -> list[AssignmentResult]:
    """The run's results, sorted, with when each was handed in and (graded as a shard) the shard's mark."""
    known = {s.name: s for s in students}
    results = sorted((_with_submission(r, known.get(r.student)) for rs in done.values() for r in rs),
                     key=lambda r: (r.student, r.assignment))
    if run.shard:      # on the run's results only: the cache holds what any run may reuse
        results = [replace(r, extra={**r.extra, SHARD: run.shard}) for r in results]
    return results


class _Batch:
    """A class being graded: each student's results so far, and the engine's work they wait for."""

    def __init__(self, run: BatchRun, engine, cache: ResultCache, progress: Progress, *, regrade: bool,
                 whole: list[Spec] | None):
        self.run, self.engine, self.cache, self.progress = run, engine, cache, progress
        self.regrade, self.whole = regrade, whole
        self.keeping = cache.folder is not None     # until the cache cannot be written
        self.done: dict[str, list[AssignmentResult]] = {}
        self.waiting: dict[str, int] = {}
        self.futures: dict[Future, list[_Wanted]] = {}
        self.by_key: dict[str, Future] = {}         # identical submissions are graded once per run

    def plan(self, student, specs: list[Spec], all_specs: bool, scratch: Path) -> list[AssignmentResult | _Wanted]:
        """For each of the student's assignments: its result when it is known without grading (why
        nothing can be graded, or the cache's), else what grading it takes."""
        chosen, misnamed = _assignments(student, specs, all_specs, scratch, self.engine.isolation)
        return [result if result is not None else self._lookup(student, spec, misnamed.get(spec.id, {}))
                for spec, result in chosen]

    def _lookup(self, student, spec: Spec, misnamed: dict) -> AssignmentResult | _Wanted:
        """The cache's result of the student's assignment, or what grading it takes."""
        isolation = self.engine.isolation
        want = _Wanted(student.name, spec, misnamed, key=_key(self.cache, student, spec, isolation))
        whole = _whole_of(spec, self.whole)
        if whole is not None and len(whole.tests) != len(spec.tests) and self.cache.folder is not None:
            return self._lookup_cut(want, student, whole)
        if self.regrade:
            return want
        result = self.cache.get(want.key, student.name) if want.key else None
        self.run.cached += result is not None
        return result if result is not None else want

    def _lookup_cut(self, want: _Wanted, student, whole: Spec) -> AssignmentResult | _Wanted:
        """Some tests of ``whole``: read from the student's record of the whole assignment when there is
        one (an entry of these tests alone, only when there is none: an earlier regrade corrected the
        record, never such entries); regraded, the fresh tests go into that record; a student with none
        is graded on these tests only."""
        want.whole_key = _key(self.cache, student, whole, self.engine.isolation)
        record = self.cache.get(want.whole_key, student.name) if want.whole_key else None
        if not self.regrade:
            found = _cut(record, want.spec) if record is not None else \
                self.cache.get(want.key, student.name) if want.key else None
            self.run.cached += found is not None
            return found if found is not None else want
        if record is None:          # only the tests asked for: `--test` is how one check is run again
            return want
        want.record = record
        return want

    def submit(self, student, planned: list[AssignmentResult | _Wanted]) -> None:
        """Queue what the student's assignments need graded; a student with nothing to wait for is done."""
        self.done[student.name] = [p for p in planned if isinstance(p, AssignmentResult)]
        wanted = [p for p in planned if isinstance(p, _Wanted)]
        for want in wanted:
            future = self.by_key.get(want.key) if want.key else None
            if future is None:
                future = _submit(self.engine, student, want.spec, want.misnamed)
                if want.key:
                    self.by_key[want.key] = future
            self.futures.setdefault(future, []).append(want)
        self.waiting[student.name] = len(wanted)
        if not wanted:
            self.progress.student_done(student.name, standing.of(self.done[student.name]))

    def collect(self) -> None:
        """Every result, as it comes."""
        pending = set(self.futures)
        try:
            for future in as_completed(self.futures):
                pending.discard(future)
                self._collected(future)
        except KeyboardInterrupt as stop:
            # The running tests are killed and the queued ones come back at once as "grading failed":
            # the students that finished keep their results, the others are marked, nothing is cached.
            self.run.interrupted = stop
            self.engine.stop()
            for future in as_completed(pending):
                self._collected(future)

    def _collected(self, future: Future) -> None:
        for want in self.futures[future]:
            name = want.student
            self.done[name].append(self._result(want, future))
            self.waiting[name] -= 1
            if not self.waiting[name]:
                self.progress.student_done(name, standing.of(self.done[name]))

    def _result(self, want: _Wanted, future: Future) -> AssignmentResult:
        """What the run reports of a graded assignment; a fresh result is kept in the cache."""
        try:
            result = replace(future.result(), student=want.student)
        except Exception as exc:     # the grader's own failure: this student only
            return failed(want.student, f"grading failed: the grader itself failed: {type(exc).__name__}: {exc}",
                          want.spec, self.engine.isolation, Status.GRADING_FAILED)
        self.run.graded += 1
        for key, kept in want.entries(result):
            if key is not None and self.keeping:
                self.keeping = _keep(self.cache, key, kept, self.run)
        if want.record is not None:
            self.run.merged += 1
        return want.shown(result)


@dataclass
class _Wanted:
    """One (student, assignment) to grade, and where its fresh result goes in the cache."""
    student: str
    spec: Spec                                 # what the run asked for (cut down with --test)
    misnamed: dict[str, Path]                  # files under other names that fit the spec's roles
    key: str | None = None                     # the cache entry of ``spec``
    whole_key: str | None = None               # regrading a cut spec: the entry of the whole spec
    record: AssignmentResult | None = None     # ... the cached record the fresh tests go into

    def entries(self, result: AssignmentResult) -> list[tuple[str | None, AssignmentResult]]:
        """(cache key, result to keep there) for a fresh ``result``."""
        if self.record is not None:
            return [(self.whole_key, merged(self.record, result))]
        return [(self.key, result)]

    def shown(self, result: AssignmentResult) -> AssignmentResult:
        """What the run reports: the whole record when a cut spec was regraded into it."""
        return merged(self.record, result) if self.record is not None else result


def _whole_of(spec: Spec, whole: list[Spec] | None) -> Spec | None:
    """The spec ``spec`` was cut from: the same id and file."""
    return next((w for w in whole or () if (w.id, w.source) == (spec.id, spec.source)), None)


def _cut(record: AssignmentResult, spec: Spec) -> AssignmentResult:
    """The tests of ``spec`` (some of the whole assignment's) from a record of the whole assignment."""
    names = {t.name for t in spec.tests}
    tests = [t for t in record.tests if t.name in names]
    return replace(record, tests=tests, status=status_of(tests), duration=round(sum(t.duration for t in tests), 3))


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


def _assignments(student, specs, all_specs, scratch, isolation) -> tuple[
        list[tuple[Spec | None, AssignmentResult | None]], dict[str, dict[str, Path]]]:
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
        if not chosen:           # or whose role's file is there in a language it does not take, to say so
            chosen = [s for s in specs if discover.other_forms(student.path, s)]
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
    expected = sorted({form.files[0] for spec in specs for role in spec.roles.values() for form in role.forms})
    listed = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return "; ".join(["no assignment found: none of the specs' file names are there "
                      f"(handed in: {listed or 'nothing'}; expected names such as {', '.join(expected)})",
                      *handed.problems()])
