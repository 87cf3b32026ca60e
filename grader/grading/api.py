"""The Python API; the CLI is a thin layer over these functions and shares their defaults."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from grader.grading import batch, cache
from grader.specfile import catalog
from grader.input import discover
from grader.grading.cache import ResultCache
from grader.grading.engine import Engine
from grader.spec import Spec


def pick_specs(submission: Path, specs: list[Spec]) -> list[Spec]:
    return [s for s in specs if discover.applies(submission, s)]


def grade_class(path: str | Path, *, specs: list[str] | None = None, specs_dir: str | None = None,
                tests: list[str] | None = None, jobs: int | None = None, isolation: str | None = None,
                cache_dir: str | None = None, use_cache: bool = True, regrade: bool = False,
                students: list[str] | None = None, shard: str | None = None,
                single: bool = False, skip: list[str] | None = None,
                progress: batch.Progress | None = None, seed: int | None = None,
                python: str = sys.executable) -> batch.BatchRun:
    """Grade one student's folder, a class folder, or a zip of either (see ``grader.input.classroom``).

    Every student is graded against the named specs, or against every spec whose
    files they handed in. Results already in the cache (``cache_dir``, default
    ``~/.cache/sockgrade/results``) are reused; ``regrade`` grades everyone again
    and writes the fresh results over what the cache held (with ``tests``, the
    fresh tests are merged into each student's cached record of the whole spec;
    a student with none is graded on the whole spec). ``use_cache`` false: the
    cache is neither read nor written. ``students`` grades only the students of
    these names. ``shard`` ("K/N") grades only the K-th of N parts of the class
    (its students sorted by name and dealt in turn, see ``batch.dealt``); each
    of its records then carries K, N and a digest of the class's student list in
    ``extra["shard"]``, which ``grade merge`` checks. ``tests`` keeps only the
    tests with these names; ``skip`` lists folders in the class that are not
    students (outputs written there). ``python`` runs the student programs
    (level none needs one other users can reach).
    Raises ValueError for a bad ``shard``, an unknown test name or student.
    """
    folder = specs_dir and Path(specs_dir)
    chosen = catalog.resolve(specs, folder) if specs else catalog.load_all(folder)
    if seed is not None:
        chosen = [s.with_seed(seed) for s in chosen]
    whole = chosen
    if tests:
        chosen = only_tests(chosen, tests)
    folder_ = Path(cache_dir) if cache_dir else cache.default_dir()
    store = ResultCache(folder_) if use_cache else None
    with Engine(jobs=jobs, isolation=isolation, hide=(folder_.resolve(),), python=python) as engine:
        return batch.grade_class(Path(path), chosen, engine, all_specs=bool(specs), cache=store,
                                 shard=batch.parse_shard(shard) if shard else None, single=single,
                                 skip=[Path(p) for p in skip or ()], progress=progress, regrade=regrade,
                                 only=list(students) if students else None, whole=whole if tests else None)


def only_tests(specs: list[Spec], names: list[str]) -> list[Spec]:
    """The specs cut down to the named tests; specs left with none are dropped."""
    known = {t.name for s in specs for t in s.tests}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"no test named {unknown[0]!r} in "
                         + ", ".join(s.id for s in specs) + "; the tests are: " + "; ".join(sorted(known)))
    cut = [replace(s, tests=tuple(t for t in s.tests if t.name in names)) for s in specs]
    return [s for s in cut if s.tests]
