"""Soak: grade many unique copies of submissions whose verdicts are known, under load, and report
every verdict that differs from the expected one (a flip).

    python bench/soak.py [--runs N] [--jobs N|auto] [--spec ID]... [--kinds K,...] [--alone] [--json FILE]

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
over an ``Engine``, nothing read from or written to a cache), twice: at the
grader's default concurrency (which follows the machine,
``grader/runner/admission.py``), then at a fixed -j of 3x the most tests that
pass ran at once; ``--jobs N`` or ``--jobs auto`` grades it once. A flip is a test
expected to pass that failed (or "grading failed"), or one expected to fail that
passed; each is reported with the student, the test, the reason and the
conversation. Prints a table per pass (test runs, flips, tests at once, wall
time, CPU of the run's processes and of the whole machine, and with ``--alone``
the ratio of the wall time to max(one submission graded alone, CPU / cores)), and writes
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
from grader.grading import batch  # noqa: E402
from grader.specfile import catalog
from grader.results import Status  # noqa: E402
from grader.runner import admission, isolation  # noqa: E402

EXPECTED_FILE = ROOT / "tests" / "test_example_students.py"
REFERENCE = "reference"       # the kind of a copy of the reference programs
FACTOR = 3                    # the second pass: times the most tests the default ran at once
THREE_TIMES = "3x"
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
        files = {role.reference_of().files[0]: Path(role.reference) for role in spec.roles.values() if role.reference}
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
        if kind is None or r.assignment != kind["spec"].id or r.ungraded:
            why = r.error or f"graded against {r.assignment or 'nothing'}"
            flips.append({"student": r.student, "kind": kind and kind["kind"], "assignment": r.assignment,
                          "test": None, "expected": "graded", "should_pass": None, "got": "not graded",
                          "reason": why, "grading_failed": r.status is Status.GRADING_FAILED, "output": why,
                          "transcript": [],
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
                          "expected": "pass" if expected else "fail", "should_pass": expected,
                          "got": "pass" if t.passed else ("grading failed" if t.grading_failed else "fail"),
                          "reason": t.reason, "grading_failed": t.grading_failed, "output": t.output_text(),
                          "transcript": t.transcript, "server_output": t.server_output,
                          "client_output": t.client_output, "duration": t.duration})
    for name in sorted(set(students) - {r.student for r in results}):
        kind = students[name]
        flips.append({"student": name, "kind": kind["kind"], "assignment": kind["spec"].id, "test": None,
                      "expected": "graded", "should_pass": None, "got": "no result",
                      "reason": "the batch returned no result",
                      "grading_failed": True, "output": "", "transcript": [], "server_output": "",
                      "client_output": "", "duration": 0.0})
        by_kind.setdefault(f"{kind['kind']} {kind['spec'].id}", {"submissions": 0, "test_runs": 0,
                                                                  "flips": 0})["flips"] += 1
    return flips, dict(sorted(by_kind.items()))


# -- the run --------------------------------------------------------------------
def machine_cpu() -> float:
    """Seconds the machine's cores have been busy, every process and kernel thread included."""
    _, busy = admission.cpu_ticks()
    return busy / os.sysconf("SC_CLK_TCK")


def grade_once(klass: Path, specs, jobs: int | None) -> dict:
    """Grade a class as ``grade CLASS --no-cache`` does; its results, wall time, CPU seconds (the
    run's processes; the machine's, kernel threads included) and how many tests ran at once."""
    load_before = os.getloadavg()
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    busy_before = machine_cpu()
    origin = time.monotonic()
    with PeakSampler(os.getpid()) as sampler:
        with TimedEngine(origin=origin, jobs=jobs) as eng:
            run = batch.grade_class(klass, specs, eng, cache=None)
    # the engine is closed: its fork server and every worker have been reaped, their CPU counted
    wall = time.monotonic() - origin
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum((a.ru_utime + a.ru_stime) - (b.ru_utime + b.ru_stime) for a, b in zip(after, before))
    admission = eng.admission
    limits = [limit for _, limit, _, _ in admission.history] or [admission.limit]
    return {"results": run.results, "isolation": eng.isolation, "records": eng.records, "wall": wall, "cpu": cpu,
            "machine_cpu": machine_cpu() - busy_before, "peak_rss": sampler.peak_rss,
            "concurrency": {"adaptive": admission.adaptive, "peak_running": admission.peak_running,
                            "limit_min": min(limits), "limit_max": max(limits), "ceiling": admission.ceiling},
            "load_before": load_before}


def one_alone(kinds: list[dict], scratch: Path) -> float:
    """The longest wall time of one copy of each kind graded by itself, at the default concurrency."""
    longest = 0.0
    for number, kind in enumerate(kinds):
        klass = scratch / f"alone-{number}"
        klass.mkdir()
        add_copy(klass, f"alone-{kind['kind']}-{kind['spec'].id}", kind["kind"], kind["spec"])
        longest = max(longest, grade_once(klass, [kind["spec"]], None)["wall"])
    return longest


def soak(specs, runs: int, plan: list, scratch: Path, kinds_wanted=None, alone: bool = False) -> dict:
    """Grade the soak class once per entry of ``plan``: None for the grader's default concurrency, N
    for -j N, THREE_TIMES for -j FACTOR x the most tests the first pass ran at once."""
    kinds = [k for k in kinds_for(specs) if not kinds_wanted or k["kind"] in kinds_wanted]
    if not kinds:
        raise SystemExit(f"soak: no submissions of the kinds {', '.join(kinds_wanted)}")
    klass = scratch / "class"
    students = build_soak_class(klass, kinds, runs)
    planned = sum(len(k["spec"].tests) for k in students.values())
    present = [k for k in kinds if any(k is kind for kind in students.values())]
    alone_s = one_alone(present, scratch) if alone else None
    passes = []
    for pass_jobs in plan:
        if pass_jobs == THREE_TIMES:
            pass_jobs = FACTOR * passes[0]["figures"]["concurrency"]["peak_running"]
            label = f"-j {pass_jobs}: {FACTOR}x the most the default ran at once"
        else:
            label = "at the default concurrency" if pass_jobs is None else f"-j {pass_jobs}"
        print(f"soak: {len(students)} submissions, {planned} tests, {label}, load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        passes.append(one_pass(label, students, grade_once(klass, specs, pass_jobs), planned, alone_s))
    return {
        "isolation": passes[0]["isolation"],
        "kinds": [{"kind": k["kind"], "spec": k["spec"].id, "tests": len(k["spec"].tests),
                   "expected_to_fail": k["failing"]} for k in kinds],
        "passes": passes,
    }


def one_pass(label: str, students: dict, graded: dict, planned: int, alone_s: float | None) -> dict:
    flips, by_kind = flips_of(graded["results"], students)
    test_runs = sum(row["test_runs"] for row in by_kind.values())
    expected_fail = sum(len(students[r.student]["failing"]) for r in graded["results"]
                        if r.student in students and not r.ungraded)
    cores = admission.cores()
    floor = max(alone_s or 0.0, graded["cpu"] / cores)
    return {
        "label": label,
        "isolation": graded["isolation"],
        "figures": {
            "submissions": len(students), "test_runs": test_runs, "tests_planned": planned,
            "expected_pass": test_runs - expected_fail, "expected_fail": expected_fail,
            "flips": len(flips),
            "flips_pass_to_fail": sum(1 for f in flips if f["should_pass"] is True),
            "flips_fail_to_pass": sum(1 for f in flips if f["should_pass"] is False),
            "not_graded": sum(1 for f in flips if f["grading_failed"] or f["test"] is None),
            "concurrency": graded["concurrency"], "wall_s": round(graded["wall"], 1),
            "cpu_seconds": round(graded["cpu"], 1), "machine_cpu_seconds": round(graded["machine_cpu"], 1),
            "cores": cores, "one_alone_s": alone_s and round(alone_s, 1),
            "ratio": round(graded["wall"] / floor, 2) if floor else None,
            "ratio_machine_cpu": round(graded["wall"] / max(alone_s or 0.0, graded["machine_cpu"] / cores), 2)
            if graded["machine_cpu"] > 0 else None,
            "peak_rss_mib": round(graded["peak_rss"] / 2**20), "overhead": overhead(graded["records"]),
            "load_before": [round(x, 2) for x in graded["load_before"]],
            "load_after": [round(x, 2) for x in os.getloadavg()],
        },
        "by_kind": by_kind,
        "flips": flips,
    }


def excerpt(text: str, lines: int = EXCERPT_LINES) -> str:
    kept = text.strip().splitlines()
    more = len(kept) - lines
    return "\n".join(kept[:lines] + ([f"[... {more} more lines]"] if more > 0 else []))


def print_report(report: dict) -> None:
    m = report["machine"]
    print()
    print(f"sockgrade soak: {', '.join(report['config']['specs'])}; isolation {report['isolation']}; "
          f"{m['nproc']} CPUs, {m['memory_gib']} GiB, Python {m['python']}; cache off")
    header = (f"{'pass':<44}{'test runs':>10}{'flips':>7}{'at once':>9}{'wall s':>8}{'CPU s':>8}"
              f"{'machine':>9}{'alone s':>9}{'ratio':>7}")
    print()
    print(header)
    print("-" * len(header))
    for one in report["passes"]:
        f, c = one["figures"], one["figures"]["concurrency"]
        at_once = f"{c['peak_running']}" if not c["adaptive"] else f"{c['limit_min']}-{c['peak_running']}"
        print(f"{one['label'][:43]:<44}{f['test_runs']:>10}{f['flips']:>7}{at_once:>9}{f['wall_s']:>8.1f}"
              f"{f['cpu_seconds']:>8.1f}{f['machine_cpu_seconds']:>9.1f}"
              f"{'-' if f['one_alone_s'] is None else f['one_alone_s']:>9}{f['ratio'] or '-':>7}")
    print()
    print("ratio: wall / max(one submission alone, CPU s / cores); CPU s counts the run's processes, machine "
          "the whole machine's busy time (kernel threads tearing down the tests' namespaces included)")
    for one in report["passes"]:
        f = one["figures"]
        print()
        print(f"{one['label']}: expected to pass {f['expected_pass']}, to fail {f['expected_fail']}; flips "
              f"pass->fail {f['flips_pass_to_fail']}, fail->pass {f['flips_fail_to_pass']}, not graded "
              f"{f['not_graded']}; grader overhead per test, median {f['overhead']['median_ms']} ms; load average "
              f"{f['load_before'][0]} at start, {f['load_after'][0]} at the end")
        for label, row in one["by_kind"].items():
            print(f"  {label:<36} {row['submissions']:>4} submissions {row['test_runs']:>5} tests "
                  f"{row['flips']:>3} flips")
        for flip in one["flips"]:
            print()
            print(f"FLIP {flip['student']} ({flip['assignment']}): {flip['test'] or 'the whole submission'}: "
                  f"expected {flip['expected']}, got {flip['got']}")
            print("  " + excerpt(flip["output"] or flip["reason"]).replace("\n", "\n  "))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=DEFAULT_RUNS, metavar="N",
                   help=f"test runs, at least (default {DEFAULT_RUNS}): copies are added until they hold N tests")
    p.add_argument("--jobs", metavar="N|auto",
                   help=f"tests at the same time: N, or auto for the grader's default (following the machine); "
                        f"without it, two passes: at the default, then at {FACTOR}x the most tests it ran at once")
    p.add_argument("--kinds", metavar="KIND,...",
                   help="only these kinds of copies (reference, alice, ...), e.g. --kinds reference,alice")
    p.add_argument("--alone", action="store_true",
                   help="first grade one copy of each kind by itself: the ratio's 'one alone'")
    p.add_argument("--spec", action="append", dest="specs", metavar="ID",
                   help="only this shipped spec's submissions; repeatable (default: every shipped spec)")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="where to write the figures and flips (default: bench/results/<time>-soak.json)")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be at least 1")
    if args.jobs not in (None, "auto"):
        if not args.jobs.isdigit() or int(args.jobs) < 1:
            p.error("--jobs must be a number, at least 1, or auto")
        args.jobs = int(args.jobs)
    args.kinds = [k for k in (args.kinds or "").split(",") if k]
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    specs = catalog.resolve(args.specs) if args.specs else catalog.load_all()
    level = isolation.available_level()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "command": "python bench/soak.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "machine": machine(level),
              "config": {"runs": args.runs, "jobs": args.jobs, "factor": FACTOR, "kinds": args.kinds,
                         "specs": [s.id for s in specs], "cache": False, "alone": args.alone}}
    scratch = Path(tempfile.mkdtemp(prefix="sockgrade-soak-"))
    try:
        plan = [None, THREE_TIMES] if args.jobs is None else [None if args.jobs == "auto" else args.jobs]
        report.update(soak(specs, args.runs, plan, scratch, args.kinds, args.alone))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(report)
    out = args.json or ROOT / "bench" / "results" / (datetime.now().strftime("%Y%m%d-%H%M%S") + "-soak.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nfigures written to {out}")
    return 1 if any(one["figures"]["flips"] for one in report["passes"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
