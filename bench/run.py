"""How fast sockgrade grades a class: against the serial baseline and the protocol's own floor.

    python bench/run.py [--spec ID] [--test NAME]... [--sizes 10,50,200] [--jobs N]
                        [--serial-sample K] [--with EARLIER.json]... [--no-single] [--quick]
                        [--json FILE]

It builds a synthetic class in a temporary folder: N students, 7 in 10 of
them copies of alice's files for the spec (all right; her programs sleep 1 s
per message, as the course's do), the others copies of the example students
who make a common mistake in that spec (for udp-contacts: dave, erin, grace).
Every copy gets a comment naming it, so that no two students hand in the same
files (the grader grades identical submissions once). Then, each in a process
of its own (``bench/measure.py``, the same code as ``grade CLASS --spec ID
--no-cache``), it grades:

- a serial sample at ``-j 1``: one student of each of the first K kinds of the
  class. A teacher's own serial script would take this long per student; the
  serial time of a whole class is extrapolated from it (linear by
  construction: one test after another). Each test here runs alone, which
  also gives its floor;
- one correct submission (alice's) alone at the default ``-j``;
- the class at each size N at the default ``-j`` (or ``--jobs``).

For each run it prints and writes: wall time; CPU seconds of the grader and
all its children (``wait4`` of the run's process); peak memory of the whole
process tree (resident set sizes summed, sampled from /proc every 100 ms);
the grader's overhead per test; and the machine's load average, since the
machine may be shared. Every figure says whether it was measured or
extrapolated. See docs/benchmarks.md for the definitions and the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))      # this checkout's grader, not an installed one

from bench.proctree import PeakSampler  # noqa: E402
from grader.spec import catalog  # noqa: E402
from grader.input import discover
from grader.grading import engine
from grader.runner import isolation  # noqa: E402
from grader.worker import protocol  # noqa: E402

EXAMPLES = ROOT / "submissions_example"
CORRECT = "alice"
MISTAKE_SLOTS = (1, 3, 5, 7, 9)       # of every ten students; the other slots are alice
QUICK_TESTS = ("server binds UDP 9999", "add replies NAME added", "find of an unknown name says Not found")
DEFAULT_SIZES = (10, 50, 200)
TARGETS = {"speedup": 15.0, "single_ratio": 1.5, "overhead_ms": 100.0, "peak_gib": 2.0, "growth_from": 50,
           "growth_to": 200, "speedup_students": 100}


# -- the synthetic class ----------------------------------------------------
def kinds_for(spec) -> list[str]:
    """alice, then the example students who hand in this spec's files with a mistake."""
    others = sorted(p.name for p in EXAMPLES.iterdir()
                    if p.is_dir() and p.name != CORRECT and discover.applies(p, spec))
    return [CORRECT] + others[:len(MISTAKE_SLOTS)]


def kind_of(index: int, kinds: list[str]) -> str:
    slot = index % 10
    mistakes = kinds[1:]
    if slot in MISTAKE_SLOTS[:len(mistakes)]:
        return mistakes[MISTAKE_SLOTS.index(slot)]
    return CORRECT


def add_student(folder: Path, name: str, kind: str, spec) -> None:
    """A copy of ``kind``'s files for ``spec``, each with a comment naming this copy."""
    files = {path.name: path for path in discover.role_files(EXAMPLES / kind, spec).values() if path is not None}
    write_copy(folder / name, files, name)


def write_copy(target: Path, files: dict[str, Path], name: str) -> None:
    """The student folder ``target``: each file (its name there -> the file copied) with a comment
    naming this copy appended, so that no two copies are identical (the batch grades those once)."""
    target.mkdir(parents=True)
    for file_name, path in files.items():
        text = path.read_text(encoding="utf-8")
        (target / file_name).write_text(text + f"\n# benchmark copy {name}\n", encoding="utf-8")


def build_class(folder: Path, size: int, kinds: list[str], spec) -> list[tuple[str, str]]:
    """``size`` students in ``folder``; returns (name, kind) of each."""
    folder.mkdir(parents=True)
    students = []
    for i in range(size):
        kind = kind_of(i, kinds)
        name = f"s{i:04d}-{kind}"
        add_student(folder, name, kind, spec)
        students.append((name, kind))
    return students


# -- one measured run -------------------------------------------------------
def measured_run(label: str, path: Path, spec_id: str, tests: list[str] | None, jobs: int | None,
                 scratch: Path, fork_server: bool = True) -> dict:
    """Grade ``path`` in a process of its own; its wall, CPU, peak memory and worker timings."""
    out = scratch / f"{label.replace(' ', '-').replace('=', '')}.json"
    argv = [sys.executable, str(ROOT / "bench" / "measure.py"), str(path), str(out), "--spec", spec_id]
    for name in tests or ():
        argv += ["--test", name]
    if jobs:
        argv += ["--jobs", str(jobs)]
    if not fork_server:
        argv.append("--no-fork-server")
    load_before = os.getloadavg()
    print(f"  {label}: grading ... (load average {load_before[0]:.1f})", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL)
    with PeakSampler(proc.pid) as sampler:
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: the {label} run failed (exit code {proc.returncode})")
    data = json.loads(out.read_text(encoding="utf-8"))
    data.update(label=label, process_wall=round(elapsed, 3),
                cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
                cpu_user=round(usage.ru_utime, 2), cpu_system=round(usage.ru_stime, 2),
                peak_rss_mib=round(sampler.peak_rss / 2**20, 1), peak_processes=sampler.peak_processes,
                load_before=[round(x, 2) for x in load_before],
                load_after=[round(x, 2) for x in os.getloadavg()])
    data["loads"] = [(round(t - data["origin"], 2), load) for t, load in sampler.loads]
    data["overhead"] = overhead(data["workers"])
    data["cpu_per_test"] = cpu_per_test(data["workers"], data["cpu_seconds"], data["engine_cpu_seconds"])
    print(f"  {label}: {data['wall']:.1f} s, {data['cpu_seconds']:.1f} CPU s, "
          f"peak {data['peak_rss_mib']:.0f} MiB", flush=True)
    return data


# -- figures ----------------------------------------------------------------
def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 4) if values else None


def _quantile(values, q: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 4)


def overhead(workers: list[dict]) -> dict:
    """The grader's own time per test: before the test's first program starts, and after its verdict.

    start-up: from the engine starting the worker (``unshare``, the trampoline and
    the fork, or the worker's interpreter and imports without a fork server; the
    private copy of the submission, the sandbox's user, the loopback) to the worker
    starting the test's first program;
    teardown: from the verdict (killing the programs, removing the copy, the
    outcome as JSON, the worker's exit) to the engine holding the outcome.
    """
    phases = [p for p in map(_phases, workers) if p["startup_ms"] is not None]
    startup = [p["startup_ms"] for p in phases]
    teardown = [p["teardown_ms"] for p in phases]
    total = [a + b for a, b in zip(startup, teardown)]
    return {"tests": len(phases), "median_ms": _ms(_median(total)), "p90_ms": _ms(_quantile(total, 0.9)),
            "max_ms": _ms(max(total) if total else None),
            "startup_median_ms": _ms(_median(startup)), "teardown_median_ms": _ms(_median(teardown))}


def cpu_per_test(workers: list[dict], cpu: float, engine_cpu: float) -> dict:
    """Milliseconds of CPU per test, means: the worker's own (its interpreter's start included when
    it was not forked), the engine's, and the rest: the programs the workers started (students',
    reference's, bubblewrap), ``unshare``, the trampoline and the fork server. The rest is found by
    difference, as a killed program's CPU is counted only once the namespace's end reaps it. And the
    share of workers that were forked from the fork server."""
    if not workers:
        return {"worker_ms": None, "engine_ms": None, "programs_ms": None, "total_ms": None, "forked": None}
    worker = sum(w["worker_cpu"] or 0 for w in workers)
    n = len(workers)
    return {"worker_ms": _ms(worker * 1000 / n), "engine_ms": _ms(engine_cpu * 1000 / n),
            "programs_ms": _ms((cpu - worker - engine_cpu) * 1000 / n), "total_ms": _ms(cpu * 1000 / n),
            "forked": round(sum(1 for w in workers if w.get("forked")) / n, 3)}


def _phases(w: dict) -> dict:
    """One worker's start-up, own time (first program to verdict) and teardown."""
    if w["first_program"] is None or w["verdict"] is None:
        return {"startup_ms": None, "own_s": None, "teardown_ms": None}
    return {"startup_ms": round((w["first_program"] - w["start"]) * 1000, 1),
            "own_s": round(w["verdict"] - w["first_program"], 3),
            "teardown_ms": round((w["end"] - w["verdict"]) * 1000, 1)}


def _ms(x):
    return None if x is None else round(x, 1)


def per_student(workers: list[dict]) -> dict[str, dict]:
    """Each student's tests: wall from the first worker's start to the last one's end, and the
    longest test's own duration (first program to verdict), the floor when it ran alone."""
    found: dict[str, dict] = {}
    for w in workers:
        if w["student"] is None:
            continue
        s = found.setdefault(w["student"], {"start": w["start"], "end": w["end"], "busy": 0.0,
                                            "longest": 0.0, "longest_test": "", "tests": 0})
        s["start"], s["end"] = min(s["start"], w["start"]), max(s["end"], w["end"])
        s["busy"] += w["end"] - w["start"]
        s["tests"] += 1
        own = (w["verdict"] - w["first_program"]) if w["first_program"] is not None else w["end"] - w["start"]
        if own > s["longest"]:
            s["longest"], s["longest_test"] = own, w["test"]
    for s in found.values():
        s["wall"] = round(s["end"] - s["start"], 3)
        s["busy"], s["longest"] = round(s["busy"], 3), round(s["longest"], 3)
    return found


def throughput(workers: list[dict], loads: list, window: float = 60.0) -> dict:
    """Tests finished in each minute of the run, and the machine's mean load average in it.

    On a shared machine a slower minute usually has a higher load; the
    median of the whole minutes is the steady rate, free of the start and the tail.
    """
    if not workers:
        return {"per_minute": [], "load": [], "steady_per_minute": None}
    end = max(w["end"] for w in workers)
    count = int(end // window) + 1
    done = [0] * count
    for w in workers:
        done[int(w["end"] // window)] += 1
    load = []
    for k in range(count):
        inside = [x for t, x in loads if k * window <= t < (k + 1) * window]
        load.append(round(statistics.mean(inside), 1) if inside else None)
    whole = done[1:-1] if count > 2 else []
    return {"per_minute": done, "load": load, "steady_per_minute": _median(whole)}


def kind_from_name(name: str) -> str:
    return name.split("-", 1)[1] if "-" in name else name


def serial_figures(run: dict) -> dict:
    """Per kind: serial seconds per student (sum of its tests run one at a time) and its floor."""
    students = per_student(run["workers"])
    kinds = {}
    for name, s in students.items():
        kinds[kind_from_name(name)] = {"student": name, "serial_s": s["busy"], "floor_s": s["longest"],
                                       "floor_test": s["longest_test"], "tests": s["tests"]}
    scores = {kind_from_name(r["student"]): r["score"] for r in run["results"]}
    for kind, k in kinds.items():
        k["score"] = scores.get(kind)
    return {"jobs": 1, "students": len(students), "wall_s": run["wall"], "kinds": kinds,
            "overhead": run["overhead"], "cpu_seconds": run["cpu_seconds"],
            "engine_cpu_seconds": run["engine_cpu_seconds"], "cpu_per_test": run["cpu_per_test"],
            "peak_rss_mib": run["peak_rss_mib"],
            "load_before": run["load_before"], "load_after": run["load_after"], "measured": True,
            "tests": [{"student": w["student"], "test": w["test"], "mode": w["mode"],
                       "wall_s": round(w["end"] - w["start"], 3), **_phases(w),
                       "worker_cpu_ms": _ms(w["worker_cpu"] and w["worker_cpu"] * 1000)}
                      for w in run["workers"]]}


def extrapolated_serial(serial: dict, students: list[tuple[str, str]]) -> tuple[float, list[str]]:
    """The -j 1 wall of the whole class: the sample's wall scaled by the class's per-student serial times.

    A kind not in the sample counts as the sample's mean; those kinds are returned.
    """
    kinds = serial["kinds"]
    mean = statistics.mean(k["serial_s"] for k in kinds.values())
    guessed = sorted({kind for _, kind in students if kind not in kinds})
    need = sum(kinds[kind]["serial_s"] if kind in kinds else mean for _, kind in students)
    sample = sum(k["serial_s"] for k in kinds.values())
    return serial["wall_s"] * need / sample, guessed


def class_figures(run: dict, students: list[tuple[str, str]], serial: dict | None) -> dict:
    kinds_of = dict(students)
    subs = per_student(run["workers"])
    ratios = []
    for name, s in subs.items():
        floor = serial["kinds"].get(kinds_of.get(name, ""), {}).get("floor_s") if serial else None
        s["floor_s"] = floor
        s["ratio"] = round(s["wall"] / floor, 2) if floor else None
        if s["ratio"] is not None:
            ratios.append(s["ratio"])
    figures = {"students": len(students), "jobs": run["jobs"], "wall_s": run["wall"], "wall_measured": True,
               "tests_run": len([w for w in run["workers"] if w["mode"] == "grade"]),
               "cpu_seconds": run["cpu_seconds"], "cpu_user": run["cpu_user"], "cpu_system": run["cpu_system"],
               "engine_cpu_seconds": run["engine_cpu_seconds"],
               "cpu_per_test": run["cpu_per_test"],
               "peak_rss_mib": run["peak_rss_mib"], "peak_processes": run["peak_processes"],
               "overhead": run["overhead"], "load_before": run["load_before"], "load_after": run["load_after"],
               "per_submission": {"wall_median_s": _median(s["wall"] for s in subs.values()),
                                  "wall_max_s": max((s["wall"] for s in subs.values()), default=None),
                                  "ratio_to_floor_median": _median(ratios),
                                  "ratio_to_floor_max": max(ratios, default=None)},
               "throughput": throughput(run["workers"], run["loads"]),
               "grades_differ": grades_differ(run, kinds_of, serial),
               "not_graded": sum(len(r["not_graded"]) for r in run["results"])}
    if serial:
        wall, guessed = extrapolated_serial(serial, students)
        figures.update(serial_wall_s=round(wall, 1), serial_extrapolated=True, serial_kinds_guessed=guessed,
                       speedup=round(wall / run["wall"], 1))
    return figures


def grades_differ(run: dict, kinds_of: dict, serial: dict | None) -> list[str]:
    """Students whose score differs from their kind's score in the serial run (speed must not change grades)."""
    if not serial:
        return []
    expected = {kind: k["score"] for kind, k in serial["kinds"].items()}
    return sorted(f"{r['student']}: {r['score']:g} (alone: {expected[kinds_of[r['student']]]:g})"
                  for r in run["results"]
                  if kinds_of.get(r["student"]) in expected and r["score"] != expected[kinds_of[r["student"]]])


def single_figures(run: dict, serial: dict | None) -> dict:
    floor = serial["kinds"].get(CORRECT) if serial else None
    figures = {"student": CORRECT, "jobs": run["jobs"], "wall_s": run["wall"], "measured": True,
               "cpu_seconds": run["cpu_seconds"], "engine_cpu_seconds": run["engine_cpu_seconds"],
               "cpu_per_test": run["cpu_per_test"], "peak_rss_mib": run["peak_rss_mib"],
               "score": run["results"][0]["score"] if run["results"] else None,
               "overhead": run["overhead"], "load_before": run["load_before"], "load_after": run["load_after"]}
    if floor:
        figures.update(floor_s=floor["floor_s"], floor_test=floor["floor_test"],
                       ratio=round(run["wall"] / floor["floor_s"], 2))
    return figures


def growth(classes: list[dict]) -> list[dict]:
    """Between consecutive sizes: how much the students, wall, CPU and memory grew."""
    rows = []
    ordered = sorted(classes, key=lambda c: c["students"])
    for a, b in zip(ordered, ordered[1:]):
        rate_a, rate_b = (c.get("throughput", {}).get("steady_per_minute") for c in (a, b))
        rows.append({"from": a["students"], "to": b["students"],
                     "students_x": round(b["students"] / a["students"], 2),
                     "wall_x": round(b["wall_s"] / a["wall_s"], 2),
                     "steady_rate_x": round(rate_b / rate_a, 2) if rate_a and rate_b else None,
                     "cpu_x": round(b["cpu_seconds"] / a["cpu_seconds"], 2),
                     "memory_x": round(b["peak_rss_mib"] / a["peak_rss_mib"], 2)})
    return rows


def targets(report: dict, subset: bool) -> list[dict]:
    found = []
    classes = {c["students"]: c for c in report["classes"]}

    def add(name, value, limit, met, how):
        found.append({"target": name, "value": value, "limit": limit, "met": met, "how": how + (
            "; a subset of the spec's tests" if subset else "")})

    big = classes.get(TARGETS["speedup_students"]) or (classes[max(classes)] if classes else None)
    if big and big.get("speedup") is not None:
        add(f"{big['students']} students at the default -j vs -j 1", f"{big['speedup']}x",
            f">= {TARGETS['speedup']}x", big["speedup"] >= TARGETS["speedup"],
            "default -j measured, -j 1 extrapolated from the serial sample")
    single = report.get("single")
    if single and single.get("ratio") is not None:
        add("one correct submission, wall / floor", single["ratio"], f"<= {TARGETS['single_ratio']}",
            single["ratio"] <= TARGETS["single_ratio"], "measured")
    serial = report.get("serial")
    if serial and serial.get("measured") and serial["overhead"]["median_ms"] is not None:
        add("grader overhead per test, median (-j 1)", f"{serial['overhead']['median_ms']} ms",
            f"< {TARGETS['overhead_ms']:g} ms", serial["overhead"]["median_ms"] < TARGETS["overhead_ms"], "measured")
    for c in report["classes"]:
        if c["overhead"]["median_ms"] is not None:
            add(f"grader overhead per test, median ({c['students']} students, -j {c['jobs']})",
                f"{c['overhead']['median_ms']} ms", f"< {TARGETS['overhead_ms']:g} ms",
                c["overhead"]["median_ms"] < TARGETS["overhead_ms"], "measured")
    if report["classes"]:
        peak = max(c["peak_rss_mib"] for c in report["classes"])
        add("peak memory of the whole run at the default -j", f"{peak / 1024:.2f} GiB", f"< {TARGETS['peak_gib']:g} GiB",
            peak / 1024 < TARGETS["peak_gib"], "measured (resident sizes summed over the process tree)")
    a, b = classes.get(TARGETS["growth_from"]), classes.get(TARGETS["growth_to"])
    if a and b:
        ratio = b["wall_s"] / a["wall_s"]
        limit = b["students"] / a["students"]
        add(f"wall time growth from {a['students']} to {b['students']} students", f"{ratio:.2f}x",
            f"<= {limit:g}x (linear)", ratio <= limit, "measured")
    return found


def startup_costs(level: str, repeat: int = 10) -> dict:
    """CPU and wall milliseconds of the processes every test starts, each alone, mean of ``repeat``.

    The worker is started as the engine starts it (``python -S``, the engine's
    environment); a student's program starts with ``site``, as a student's does.
    """
    env = protocol.worker_env()
    cases = {"python -S, nothing imported": [sys.executable, "-S", "-c", "pass"],
             "trampoline: python -S and _socket": [sys.executable, "-S", "-c", "import _socket, array"],
             "worker as a program (no fork server)": [sys.executable, *protocol.WORKER_FLAGS, "-c",
                                                      "import grader.worker.worker"],
             "python with site, as a student's program starts": [sys.executable, "-c", "pass"]}
    if level != "none":
        cases["unshare: the test's namespaces"] = isolation.wrapper(level) + ["true"]
    found = {}
    for name, argv in cases.items():
        before = os.times()
        started = time.monotonic()
        for _ in range(repeat):
            subprocess.run(argv, env=env, cwd="/", check=True, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - started
        after = os.times()
        cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
        found[name] = {"cpu_ms": round(cpu * 1000 / repeat, 1), "wall_ms": round(wall * 1000 / repeat, 1)}
    return found


# -- the report -------------------------------------------------------------
def machine(level: str) -> dict:
    with open("/proc/meminfo") as f:
        total_kib = int(f.readline().split()[1])
    return {"nproc": os.cpu_count(), "memory_gib": round(total_kib / 2**20, 1),
            "python": platform.python_version(), "kernel": platform.release(), "isolation": level,
            "default_jobs": engine.default_jobs(), "load_average": [round(x, 2) for x in os.getloadavg()]}


def _f(x, fmt="{:.1f}", none="-"):
    return none if x is None else fmt.format(x)


def print_report(report: dict) -> None:
    m = report["machine"]
    cfg = report["config"]
    print()
    print(f"sockgrade benchmark: {cfg['spec']} ({cfg['tests_per_submission']} tests per submission"
          f"{', a subset' if cfg['tests'] else ''}); isolation {m['isolation']}; {m['nproc']} CPUs, "
          f"{m['memory_gib']} GiB, Python {m['python']}; load average at start {m['load_average'][0]}")
    print()
    header = (f"{'run':<26}{'students':>9}{'-j':>5}{'wall s':>9}{'-j 1 s':>10}{'speed-up':>10}"
              f"{'CPU s':>8}{'peak MiB':>10}{'overhead ms':>13}{'load':>7}")
    print(header)
    print("-" * len(header))
    serial = report.get("serial")
    if serial:
        how = "" if serial.get("measured") else " (earlier run)"
        print(f"{'serial sample' + how:<26}{serial['students']:>9}{1:>5}{serial['wall_s']:>9.1f}"
              f"{serial['wall_s']:>9.1f}m{'1.0x':>10}{_f(serial.get('cpu_seconds')):>8}"
              f"{_f(serial.get('peak_rss_mib'), '{:.0f}'):>10}{_f(serial['overhead']['median_ms']):>13}"
              f"{_f(serial.get('load_before', [None])[0]):>7}")
    single = report.get("single")
    if single:
        label = "one submission" + (" (earlier run)" if single.get("source") else "")
        print(f"{label:<26}{1:>9}{single['jobs']:>5}{single['wall_s']:>9.1f}{'':>10}{'':>10}"
              f"{single['cpu_seconds']:>8.1f}{single['peak_rss_mib']:>10.0f}"
              f"{_f(single['overhead']['median_ms']):>13}{single['load_before'][0]:>7.1f}")
    for c in report["classes"]:
        serial_s = f"{c['serial_wall_s']:.0f}e" if c.get("serial_wall_s") else "-"
        label = "class" + (" (earlier run)" if c.get("source") else "")
        speed = f"{c['speedup']}x" if c.get("speedup") else "-"
        print(f"{label:<26}{c['students']:>9}{c['jobs']:>5}{c['wall_s']:>9.1f}{serial_s:>10}{speed:>10}"
              f"{c['cpu_seconds']:>8.1f}{c['peak_rss_mib']:>10.0f}{_f(c['overhead']['median_ms']):>13}"
              f"{c['load_before'][0]:>7.1f}")
    print("(wall, CPU, memory: measured; -j 1 s: m = measured, e = extrapolated from the serial sample)")
    print()
    print("start-up, each process alone (mean of 10):")
    for name, cost in report["startup_costs"].items():
        print(f"  {name:<52} {cost['cpu_ms']:6.1f} ms CPU {cost['wall_ms']:7.1f} ms wall")
    if serial:
        print()
        print("serial sample, each test alone (-j 1): seconds per student, and the floor: the longest test's")
        print("own duration, from its first program's start to its verdict (the protocol's sleeps and timeouts)")
        for kind, k in serial["kinds"].items():
            print(f"  {kind:<8} serial {k['serial_s']:7.1f} s   floor {k['floor_s']:6.2f} s ({k['floor_test']})"
                  f"   score {_f(k.get('score'), '{:g}')}")
    if single and single.get("ratio") is not None:
        print()
        print(f"one correct submission ({single['student']}) at -j {single['jobs']}: {single['wall_s']:.2f} s, "
              f"floor {single['floor_s']:.2f} s ({single['floor_test']}): {single['ratio']}x its floor")
    for label, r in [("serial sample", serial), ("one submission", single)] + [
            (f"class of {c['students']}", c) for c in report["classes"]]:
        if r and r.get("cpu_per_test"):
            k = r["cpu_per_test"]
            print(f"{label}: CPU per test {_f(k['total_ms'])} ms: worker {_f(k['worker_ms'])}, engine "
                  f"{_f(k['engine_ms'])}, programs and the rest {_f(k['programs_ms'])} (means; "
                  f"{_f(k.get('forked') and 100 * k['forked'], '{:.0f}')}% forked); "
                  f"overhead start-up {_f(r['overhead']['startup_median_ms'])} ms + teardown "
                  f"{_f(r['overhead']['teardown_median_ms'])} ms (medians)")
    for c in report["classes"]:
        p = c["per_submission"]
        print(f"class of {c['students']}: per submission wall median {_f(p['wall_median_s'])} s, "
              f"max {_f(p['wall_max_s'])} s; wall / floor median {_f(p['ratio_to_floor_median'], '{:.2f}')}, "
              f"max {_f(p['ratio_to_floor_max'], '{:.2f}')}; overhead per test p90 {_f(c['overhead']['p90_ms'])} ms"
              + (f"; GRADES DIFFER from -j 1: {', '.join(c['grades_differ'][:5])}" if c["grades_differ"] else "")
              + (f"; {c['not_graded']} tests not graded" if c["not_graded"] else ""))
    if report["growth"]:
        print()
        for g in report["growth"]:
            print(f"growth {g['from']} -> {g['to']} students ({g['students_x']}x): wall {g['wall_x']}x, "
                  f"CPU {g['cpu_x']}x, peak memory {g['memory_x']}x; steady tests per minute "
                  f"{_f(g['steady_rate_x'], '{}x')}")
        for c in report["classes"]:
            t = c.get("throughput", {})
            if len(t.get("per_minute", ())) > 2:
                pairs = ", ".join(f"{n} ({_f(x)})" for n, x in zip(t["per_minute"], t["load"]))
                print(f"class of {c['students']}: tests finished per minute (load average): {pairs}")
    if report["targets"]:
        print()
        for t in report["targets"]:
            print(f"  [{'met' if t['met'] else 'NOT MET'}] {t['target']}: {t['value']} (target {t['limit']}; {t['how']})")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--spec", default="udp-contacts", help="the spec to grade (default: udp-contacts)")
    p.add_argument("--test", "--tests", action="append", dest="tests", metavar="NAME",
                   help="only this test of the spec; repeatable (default: all)")
    p.add_argument("--sizes", default=None, metavar="N,N,...",
                   help="class sizes, graded at the default -j (default: 10,50,200)")
    p.add_argument("--jobs", type=int, help="-j for the class runs (default: the grader's default)")
    p.add_argument("--serial-sample", type=int, metavar="K",
                   help="students graded at -j 1, one of each of the first K kinds (default 3, or 0 with --with)")
    p.add_argument("--with", type=Path, action="append", dest="earlier", metavar="FILE",
                   help="an earlier run's JSON (same spec and tests): its serial sample, one-submission run and "
                        "classes count as this run's where this run has none of its own; repeatable")
    p.add_argument("--no-single", action="store_true", help="skip the one-submission run")
    p.add_argument("--no-fork-server", action="store_true",
                   help="start every worker as a program of its own, as without a fork server")
    p.add_argument("--quick", action="store_true",
                   help=f"3 short tests, classes of 4 and 8, a serial sample of 2 (about a minute)")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="where to write the figures (default: bench/results/<time>-<spec>.json)")
    args = p.parse_args(argv)
    if args.serial_sample is None:
        args.serial_sample = 0 if args.earlier else 3
    if args.quick:
        args.tests = args.tests or list(QUICK_TESTS)
        args.sizes = args.sizes or "4,8"
        args.serial_sample = min(args.serial_sample, 2)
    try:
        args.sizes = [int(x) for x in (args.sizes or ",".join(map(str, DEFAULT_SIZES))).split(",") if x]
    except ValueError:
        p.error("--sizes takes numbers separated by commas, like 10,50,200")
    if any(n < 1 for n in args.sizes):
        p.error("--sizes: every size must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    spec = catalog.resolve([args.spec])[0]
    tests = [t for t in spec.tests if not args.tests or t.name in args.tests]
    if args.tests and len({t.name for t in tests}) != len(set(args.tests)):
        known = "; ".join(t.name for t in spec.tests)
        raise SystemExit(f"bench: unknown test name in {args.tests}; the tests are: {known}")
    kinds = kinds_for(spec)
    level = isolation.available_level()
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "command": "python bench/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "machine": machine(level),
              "config": {"spec": spec.id, "tests": args.tests or None, "tests_per_submission": len(tests),
                         "sizes": args.sizes, "jobs": args.jobs or engine.default_jobs(),
                         "kinds": kinds, "mix": [kind_of(i, kinds) for i in range(10)],
                         "fork_server": not args.no_fork_server},
              "startup_costs": startup_costs(level),
              "serial": None, "single": None, "classes": [], "growth": [], "targets": []}
    print(f"bench: {spec.id}, {len(tests)} tests per submission, sizes {args.sizes}, "
          f"isolation {level}, load average {os.getloadavg()[0]:.1f}", flush=True)
    forks = not args.no_fork_server
    scratch = Path(tempfile.mkdtemp(prefix="sockgrade-bench-"))
    try:
        earlier = [(path, json.loads(path.read_text(encoding="utf-8"))) for path in args.earlier or ()]
        for path, other in earlier:
            if (other["config"]["spec"], other["config"]["tests"]) != (spec.id, report["config"]["tests"]):
                raise SystemExit(f"bench: {path} graded other tests ({other['config']['spec']}); "
                                 "--with takes a run of the same spec and tests")
            if other["config"].get("fork_server", False) != forks:     # runs from before it had none
                raise SystemExit(f"bench: {path} was run {'without' if forks else 'with'} the fork server; "
                                 "--with takes a run made the same way")
            if other.get("serial") and not args.serial_sample and not report["serial"]:
                report["serial"] = dict(other["serial"], measured=False, source=str(path))
            if other.get("single") and args.no_single and not report["single"]:
                report["single"] = dict(other["single"], source=str(path))
            for c in other["classes"]:
                if c["students"] not in args.sizes:
                    report["classes"].append(dict(c, source=str(path)))
        if args.serial_sample:
            sample = scratch / "serial-sample"
            chosen = kinds[:args.serial_sample]
            sample.mkdir()
            for kind in chosen:
                add_student(sample, f"serial-{kind}", kind, spec)
            run = measured_run("serial sample", sample, spec.id, args.tests, 1, scratch, forks)
            report["serial"] = serial_figures(run)
        if not args.no_single:
            single = scratch / "single"
            single.mkdir()
            add_student(single, f"single-{CORRECT}", CORRECT, spec)
            run = measured_run("one submission", single / f"single-{CORRECT}", spec.id, args.tests, None,
                               scratch, forks)
            report["single"] = single_figures(run, report["serial"])
        for size in args.sizes:
            report["classes"] = [c for c in report["classes"] if c["students"] != size]
            klass = scratch / f"class-{size}"
            students = build_class(klass, size, kinds, spec)
            run = measured_run(f"class N={size}", klass, spec.id, args.tests, args.jobs, scratch, forks)
            report["classes"].append(class_figures(run, students, report["serial"]))
            shutil.rmtree(klass, ignore_errors=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report["classes"].sort(key=lambda c: c["students"])
    report["growth"] = growth(report["classes"])
    report["targets"] = targets(report, subset=bool(args.tests))
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print_report(report)
    out = args.json or ROOT / "bench" / "results" / (
        datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{spec.id}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nfigures written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
