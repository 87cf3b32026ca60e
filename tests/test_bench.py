"""bench/run.py in its quickest form writes every figure it promises (no timing is asserted)."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT
from bench import run as bench
from grader.grading import cache
from grader.specfile import catalog

TESTS = ["server binds UDP 9999", "add replies NAME added"]


def test_the_synthetic_class_is_mostly_alice_and_every_copy_differs(tmp_path):
    spec = catalog.resolve(["udp-contacts"])[0]
    kinds = bench.kinds_for(spec)
    assert kinds == ["alice", "dave", "erin", "grace"]
    students = bench.build_class(tmp_path / "class", 20, kinds, spec)
    counts = {k: sum(1 for _, kind in students if kind == k) for k in kinds}
    assert counts == {"alice": 14, "dave": 2, "erin": 2, "grace": 2}
    folders = sorted((tmp_path / "class").iterdir())
    assert [f.name for f in folders] == sorted(name for name, _ in students)
    assert sorted(p.name for p in folders[0].iterdir()) == ["contactclientudp.py", "contactserverudp.py"]
    # No two students hand in the same files, or the batch would grade them once.
    assert len({cache.folder_digest(f) for f in folders}) == len(folders)


def test_quick_run_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    argv = [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--sizes", "1,2", "--serial-sample", "2",
            "--json", str(out)]
    for name in TESTS:
        argv += ["--test", name]
    proc = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "speed-up" in proc.stdout and "e = extrapolated" in proc.stdout
    report = json.loads(out.read_text(encoding="utf-8"))

    assert set(report) >= {"when", "command", "machine", "config", "startup_costs", "serial", "single",
                           "classes", "growth", "targets"}
    assert set(report["machine"]) >= {"nproc", "memory_gib", "python", "kernel", "isolation", "default_jobs",
                                      "load_average", "load_average_end"}
    assert report["config"]["tests"] == TESTS and report["config"]["tests_per_submission"] == 2
    assert report["config"]["sizes"] == [1, 2]
    assert all(set(c) == {"cpu_ms", "wall_ms"} for c in report["startup_costs"].values())

    serial = report["serial"]
    assert serial["measured"] and serial["jobs"] == 1 and serial["students"] == 2
    assert set(serial["kinds"]) == {"alice", "dave"}
    alice = serial["kinds"]["alice"]
    assert alice["score"] == 4 and alice["tests"] == 2 and alice["floor_test"] in TESTS
    assert alice["serial_s"] > 0 and alice["floor_s"] > 0
    # Each test of the sample, and the reference's answers recorded once.
    assert sorted((t["student"], t["test"]) for t in serial["tests"] if t["mode"] == "grade") == sorted(
        (f"serial-{kind}", name) for kind in ("alice", "dave") for name in TESTS)
    assert [t["test"] for t in serial["tests"] if t["mode"] == "record"] == ["add replies NAME added"]
    assert all(t["startup_ms"] > 0 and t["own_s"] > 0 and t["teardown_ms"] > 0 and t["worker_cpu_ms"] > 0
               for t in serial["tests"])
    assert set(serial["cpu_per_test"]) == {"worker_ms", "engine_ms", "programs_ms", "total_ms", "forked"}
    # Every worker came from the fork server, wherever there are namespaces to fork it into.
    assert serial["cpu_per_test"]["forked"] == (0.0 if report["machine"]["isolation"] == "none" else 1.0)
    assert report["config"]["fork_server"] is True

    overhead_keys = {"tests", "median_ms", "p90_ms", "max_ms", "startup_median_ms", "teardown_median_ms"}
    single = report["single"]
    assert single["student"] == "alice" and single["score"] == 4
    assert set(single) >= {"jobs", "wall_s", "floor_s", "floor_test", "ratio", "cpu_seconds", "engine_cpu_seconds",
                           "peak_rss_mib", "overhead", "load_before", "load_after"}
    assert set(single["overhead"]) == overhead_keys and single["overhead"]["tests"] == 3

    assert [c["students"] for c in report["classes"]] == [1, 2]
    for c in report["classes"]:
        assert set(c) >= {"jobs", "wall_s", "serial_wall_s", "serial_extrapolated", "speedup", "tests_run",
                          "cpu_seconds", "engine_cpu_seconds", "cpu_per_test", "peak_rss_mib",
                          "peak_processes", "overhead", "per_submission", "throughput", "grades_differ", "not_graded",
                          "load_before", "load_after"}
        assert c["tests_run"] == 2 * c["students"] and c["grades_differ"] == [] and c["not_graded"] == 0
        assert c["cpu_seconds"] > 0 and c["peak_rss_mib"] > 0 and c["peak_processes"] > 1
        assert c["cpu_per_test"]["total_ms"] > 0 and c["cpu_per_test"]["worker_ms"] > 0
        assert set(c["overhead"]) == overhead_keys
        assert set(c["per_submission"]) == {"wall_median_s", "wall_max_s", "ratio_to_floor_median",
                                            "ratio_to_floor_max"}
        assert sum(c["throughput"]["per_minute"]) == c["tests_run"] + 1     # and the reference's answers
    assert [(g["from"], g["to"]) for g in report["growth"]] == [(1, 2)]
    assert set(report["growth"][0]) == {"from", "to", "students_x", "wall_x", "steady_rate_x", "cpu_x", "memory_x"}

    names = [t["target"] for t in report["targets"]]
    assert names[0] == "2 students at the default -j vs -j 1"
    assert "one correct submission, wall / floor" in names
    assert "peak memory of the whole run at the default -j" in names
    assert all(set(t) == {"target", "value", "limit", "met", "how"} for t in report["targets"])
    assert all("a subset of the spec's tests" in t["how"] for t in report["targets"])
