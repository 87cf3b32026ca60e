"""Soak: grade many unique copies of submissions whose verdicts are known, under load, and report
every verdict that differs from the expected one (a flip).

    python bench/soak.py [--runs N] [--jobs N] [--spec ID]... [--json FILE]

The submissions, for each shipped spec (or each ``--spec``): the reference
programs handed in as a student would (each reference under the first file name
its role accepts), which must pass every test; and the example class's
students who hand that spec in (``submissions_example``), whose verdicts are
tests/test_example_students.py's ``EXPECTED`` table: alice passes everything
but the udp-contacts bonus her client does not earn, every other student fails
the tests their one mistake fails and passes the rest. Copies are added one
kind after another, round after round, until they hold at least ``--runs``
tests; each copy's files get a comment naming it (``bench/run.py``'s
``write_copy``), so the batch does not grade identical submissions once.

The class is graded as ``grade CLASS --no-cache`` grades it (``batch.grade_class``
over an ``Engine``, nothing read from or written to a cache), in one pool at
``--jobs`` (default: 3x ``grader.engine.default_jobs()``). A flip is a test
expected to pass that failed (or "grading failed"), or one expected to fail that
passed; each is reported with the student, the test, the reason and the
conversation. Prints a table (test runs, flips, wall time, CPU, jobs) and writes
every figure and flip as JSON (``--json``, default
``bench/results/<time>-soak.json``). Exit status 1 when there was a flip.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))      # this checkout's grader, not an installed one

from bench.measure import TimedEngine  # noqa: E402
from bench.proctree import PeakSampler  # noqa: E402
from bench.run import add_student, machine, overhead, write_copy  # noqa: E402
from grader import batch, catalog, engine  # noqa: E402
from grader.runner import isolation  # noqa: E402

EXPECTED_FILE = ROOT / "tests" / "test_example_students.py"
REFERENCE = "reference"       # the kind of a copy of the reference programs
FACTOR = 3                    # times the default -j
DEFAULT_RUNS = 500
EXCERPT_LINES = 12


# -- what is expected ---------------------------------------------------------
def example_expectations() -> dict[str, dict[str, list[str]]]:
    """student -> {spec id: the tests expected to fail}, read from the example students' test
    (its ``EXPECTED`` literal; the test file is not imported, so pytest is not needed)."""
    tree = ast.parse(EXPECTED_FILE.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXPECTED" for t in node.targets):
            table = ast.literal_eval(node.value)
            return {student: {spec: sorted(failing) for spec, (_, _, failing) in specs.items()}
                    for student, specs in table.items()}
    raise SystemExit(f"soak: no EXPECTED table in {EXPECTED_FILE}")


def kinds_for(specs) -> list[dict]:
    """Each kind of copy: {"kind", "spec", "failing"}; per spec the reference, then alice, then the
    other example students who hand in its files."""
    table = example_expectations()
    found = []
    for spec in specs:
        names = {t.name for t in spec.tests}
        found.append({"kind": REFERENCE, "spec": spec, "failing": []})
        for student in sorted(table, key=lambda s: (s != "alice", s)):
            failing = table[student].get(spec.id)
            if failing is None:
                continue
            unknown = sorted(set(failing) - names)
            if unknown:
                raise SystemExit(f"soak: {EXPECTED_FILE.name} expects {student} to fail {unknown[0]!r}, "
                                 f"which is no test of {spec.id}")
            found.append({"kind": student, "spec": spec, "failing": failing})
    return found


# -- the class ------------------------------------------------------------------
def add_copy(folder: Path, name: str, kind: str, spec) -> None:
    if kind == REFERENCE:
        files = {role.files[0]: Path(role.reference) for role in spec.roles.values() if role.reference}
        write_copy(folder / name, files, name)
    else:
        add_student(folder, name, kind, spec)


def build_soak_class(folder: Path, kinds: list[dict], runs: int) -> dict[str, dict]:
    """Copies of each kind in turn until they hold at least ``runs`` tests: student name -> its kind."""
    folder.mkdir(parents=True)
    students: dict[str, dict] = {}
    tests = 0
    while tests < runs:
        for kind in kinds:
            if tests >= runs:
                break
            name = f"{len(students):04d}-{kind['kind']}-{kind['spec'].id}"
            add_copy(folder, name, kind["kind"], kind["spec"])
            students[name] = kind
            tests += len(kind["spec"].tests)
    return students


# -- flips ----------------------------------------------------------------------
def flips_of(results, students: dict[str, dict]) -> tuple[list[dict], dict]:
    """Every verdict that differs from the expected one, and per kind: submissions, tests, flips."""
    flips: list[dict] = []
    by_kind: dict[str, dict] = {}
    for r in results:
        kind = students.get(r.student)
        label = f"{kind['kind']} {kind['spec'].id}" if kind else "?"
        row = by_kind.setdefault(label, {"submissions": 0, "test_runs": 0, "flips": 0})
        row["submissions"] += 1
        if kind is None or r.assignment != kind["spec"].id or r.error:
            why = r.error or f"graded against {r.assignment or 'nothing'}"
            flips.append({"student": r.student, "kind": kind and kind["kind"], "assignment": r.assignment,
                          "test": None, "expected": "graded", "got": "not graded", "reason": why,
                          "grader_error": r.grader_error, "output": why, "transcript": [],
                          "server_output": "", "client_output": "", "duration": 0.0})
            row["flips"] += 1
            continue
        failing = set(kind["failing"])
        for t in r.tests:
            row["test_runs"] += 1
            expected = t.name not in failing
            if t.passed == expected:
                continue
            row["flips"] += 1
            flips.append({"student": r.student, "kind": kind["kind"], "assignment": r.assignment, "test": t.name,
                          "expected": "pass" if expected else "fail",
                          "got": "pass" if t.passed else ("grading failed" if t.grader_error else "fail"),
                          "reason": t.reason, "grader_error": t.grader_error, "output": t.output_text(),
                          "transcript": t.transcript, "server_output": t.server_output,
                          "client_output": t.client_output, "duration": t.duration})
    for name in sorted(set(students) - {r.student for r in results}):
        kind = students[name]
        flips.append({"student": name, "kind": kind["kind"], "assignment": kind["spec"].id, "test": None,
                      "expected": "graded", "got": "no result", "reason": "the batch returned no result",
                      "grader_error": True, "output": "", "transcript": [], "server_output": "",
                      "client_output": "", "duration": 0.0})
        by_kind.setdefault(f"{kind['kind']} {kind['spec'].id}", {"submissions": 0, "test_runs": 0,
                                                                  "flips": 0})["flips"] += 1
    return flips, dict(sorted(by_kind.items()))


# -- the run --------------------------------------------------------------------
def soak(specs, runs: int, jobs: int, scratch: Path) -> dict:
    kinds = kinds_for(specs)
    klass = scratch / "class"
    students = build_soak_class(klass, kinds, runs)
    planned = sum(len(k["spec"].tests) for k in students.values())
    print(f"soak: {len(students)} submissions, {planned} tests, -j {jobs}, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    load_before = os.getloadavg()
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    origin = time.monotonic()
    with PeakSampler(os.getpid()) as sampler:
        with TimedEngine(origin=origin, jobs=jobs) as eng:
            run = batch.grade_class(klass, specs, eng, cache=None)
            level = eng.isolation
    # the engine is closed: its fork server and every worker have been reaped, their CPU counted
    wall = time.monotonic() - origin
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum((a.ru_utime + a.ru_stime) - (b.ru_utime + b.ru_stime) for a, b in zip(after, before))
    flips, by_kind = flips_of(run.results, students)
    test_runs = sum(row["test_runs"] for row in by_kind.values())
    expected_fail = sum(len(students[r.student]["failing"]) for r in run.results
                        if r.student in students and not r.error)
    return {
        "isolation": level,
        "figures": {
            "submissions": len(students), "test_runs": test_runs, "tests_planned": planned,
            "expected_pass": test_runs - expected_fail, "expected_fail": expected_fail,
            "flips": len(flips),
            "flips_pass_to_fail": sum(1 for f in flips if f["expected"] == "pass"),
            "flips_fail_to_pass": sum(1 for f in flips if f["expected"] == "fail"),
            "not_graded": sum(1 for f in flips if f["grader_error"] or f["test"] is None),
            "jobs": eng.jobs, "wall_s": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "peak_rss_mib": round(sampler.peak_rss / 2**20), "overhead": overhead(eng.records),
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "kinds": [{"kind": k["kind"], "spec": k["spec"].id, "tests": len(k["spec"].tests),
                   "expected_to_fail": k["failing"]} for k in kinds],
        "by_kind": by_kind,
        "flips": flips,
    }


def excerpt(text: str, lines: int = EXCERPT_LINES) -> str:
    kept = text.strip().splitlines()
    more = len(kept) - lines
    return "\n".join(kept[:lines] + ([f"[... {more} more lines]"] if more > 0 else []))


def print_report(report: dict) -> None:
    f, m = report["figures"], report["machine"]
    print()
    print(f"sockgrade soak: {', '.join(report['config']['specs'])}; isolation {report['isolation']}; "
          f"{m['nproc']} CPUs, {m['memory_gib']} GiB, Python {m['python']}; load average "
          f"{f['load_before'][0]} at start, {f['load_after'][0]} at the end")
    times = f['jobs'] / m['default_jobs']
    print(f"-j {f['jobs']} ({times:.3g}x the default {m['default_jobs']}); cache off; "
          f"{f['submissions']} unique submissions")
    print()
    header = f"{'test runs':>10}{'flips':>7}{'wall s':>9}{'CPU s':>8}{'jobs':>6}{'peak MiB':>10}"
    print(header)
    print("-" * len(header))
    print(f"{f['test_runs']:>10}{f['flips']:>7}{f['wall_s']:>9.1f}{f['cpu_seconds']:>8.1f}{f['jobs']:>6}"
          f"{f['peak_rss_mib']:>10}")
    print(f"(expected to pass {f['expected_pass']}, to fail {f['expected_fail']}; flips pass->fail "
          f"{f['flips_pass_to_fail']}, fail->pass {f['flips_fail_to_pass']}, not graded {f['not_graded']}; "
          f"grader overhead per test, median {f['overhead']['median_ms']} ms)")
    print()
    for label, row in report["by_kind"].items():
        print(f"  {label:<36} {row['submissions']:>4} submissions {row['test_runs']:>5} tests "
              f"{row['flips']:>3} flips")
    for flip in report["flips"]:
        print()
        print(f"FLIP {flip['student']} ({flip['assignment']}): {flip['test'] or 'the whole submission'}: "
              f"expected {flip['expected']}, got {flip['got']}")
        print("  " + excerpt(flip["output"] or flip["reason"]).replace("\n", "\n  "))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=DEFAULT_RUNS, metavar="N",
                   help=f"test runs, at least (default {DEFAULT_RUNS}): copies are added until they hold N tests")
    p.add_argument("--jobs", type=int, metavar="N",
                   help=f"tests at the same time (default: {FACTOR}x the grader's default -j)")
    p.add_argument("--spec", action="append", dest="specs", metavar="ID",
                   help="only this shipped spec's submissions; repeatable (default: every shipped spec)")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="where to write the figures and flips (default: bench/results/<time>-soak.json)")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if args.jobs is not None and args.jobs < 1:
        p.error("--jobs must be at least 1")
    if args.jobs is None:
        args.jobs = FACTOR * engine.default_jobs()
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    specs = catalog.resolve(args.specs) if args.specs else catalog.load_all()
    level = isolation.available_level()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "command": "python bench/soak.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "machine": machine(level),
              "config": {"runs": args.runs, "jobs": args.jobs, "factor": FACTOR,
                         "specs": [s.id for s in specs], "cache": False}}
    scratch = Path(tempfile.mkdtemp(prefix="sockgrade-soak-"))
    try:
        report.update(soak(specs, args.runs, args.jobs, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(report)
    out = args.json or ROOT / "bench" / "results" / (datetime.now().strftime("%Y%m%d-%H%M%S") + "-soak.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nfigures written to {out}")
    return 1 if report["figures"]["flips"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
