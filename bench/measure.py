"""One measured grading run, started by ``bench/run.py`` in a process of its own.

``python bench/measure.py CLASS OUT.json --spec ID [--test NAME]... [--jobs N] [--no-fork-server]``

Grades CLASS as ``grade CLASS --spec ID --no-cache`` does (the same
``batch.grade_class`` over an ``Engine``), and writes to OUT.json the wall
time, its start (monotonic) and, for every test's worker, relative to it: when the engine started it and got its
outcome back; when the worker started the test's first program and knew its
verdict; the worker's own CPU seconds and whether it was forked (``Outcome.timing``). Its own process is what run.py measures: its CPU time
(with all its children's) and its tree's memory.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))      # this checkout's grader, not an installed one

from grader.grading import api, batch  # noqa: E402
from grader.specfile import catalog
from grader.grading.engine import Engine  # noqa: E402
from grader.results import Status  # noqa: E402


class TimedEngine(Engine):
    """An Engine that notes when each worker ran; grading itself is unchanged."""

    def __init__(self, *, origin: float, **kwargs):
        super().__init__(**kwargs)
        self.origin = origin
        self.records: list[dict] = []

    def _run_admitted(self, spec, test, submission, programs, mode):
        started = time.monotonic()       # once admitted: the wait for room is not the grader's overhead
        outcome = super()._run_admitted(spec, test, submission, programs, mode)
        done = time.monotonic()
        timing = outcome.timing

        def rel(t):
            return None if t is None else round(t - self.origin, 4)
        self.records.append({
            "student": Path(submission).name if submission else None, "test": test.name, "mode": mode,
            "start": rel(started), "end": rel(done),
            "first_program": rel(timing.get("first_program")), "verdict": rel(timing.get("verdict")),
            "worker_cpu": timing.get("worker_cpu"), "forked": bool(timing.get("forked")),
            "passed": outcome.passed, "error": outcome.error.splitlines()[:1],
        })
        return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("klass", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--test", action="append", dest="tests")
    parser.add_argument("--jobs", type=int)
    parser.add_argument("--no-fork-server", action="store_true")
    args = parser.parse_args()
    origin = time.monotonic()
    specs = catalog.resolve([args.spec])
    if args.tests:
        specs = api.only_tests(specs, args.tests)
    with TimedEngine(origin=origin, jobs=args.jobs, fork_server=not args.no_fork_server) as engine:
        run = batch.grade_class(args.klass, specs, engine, all_specs=True)
    wall = time.monotonic() - origin
    own = resource.getrusage(resource.RUSAGE_SELF)
    args.out.write_text(json.dumps({
        "origin": origin, "wall": round(wall, 3), "jobs": engine.jobs, "isolation": engine.isolation,
        "engine_cpu_seconds": round(own.ru_utime + own.ru_stime, 2),
        "results": [{"student": r.student, "score": r.score, "max_score": r.max_score, "error": r.error,
                     "tests": len(r.tests), "failed": sorted(t.name for t in r.tests if not t.passed),
                     "not_graded": sorted(t.name for t in r.tests if t.status is Status.GRADING_FAILED)}
                    for r in run.results],
        "workers": engine.records,
    }, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
