"""bench/soak.py: a tiny soak on real processes writes consistent figures (no timing is asserted)."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT
from bench import soak
from grader.grading import cache
from grader.specfile import catalog


def test_the_copies_are_unique_and_hold_at_least_the_runs_asked(tmp_path):
    spec = catalog.resolve(["udp-echo"])[0]
    kinds = soak.kinds_for([spec])
    assert [k["kind"] for k in kinds] == ["reference", "alice", "frank", "mallory"]
    assert kinds[0]["failing"] == [] and kinds[1]["failing"] == []
    assert "student client with student server" in kinds[2]["failing"]
    students = soak.build_soak_class(tmp_path / "class", kinds, 40)
    assert [k["kind"] for k in students.values()] == ["reference", "alice", "frank", "mallory", "reference"]
    folders = sorted((tmp_path / "class").iterdir())
    assert sorted(p.name for p in folders[0].iterdir()) == ["clientudp.py", "serverudp.py"]
    assert len({cache.folder_digest(f) for f in folders}) == len(folders)
    assert soak.parse_args([]).jobs is None                  # two passes: the default, then 3x its most
    assert soak.parse_args(["--jobs", "5"]).jobs == 5
    assert soak.parse_args(["--jobs", "auto"]).jobs == "auto"
    assert soak.parse_args(["--kinds", "reference,alice"]).kinds == ["reference", "alice"]


def test_a_tiny_soak_reports_consistent_figures(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--spec", "udp-echo", "--runs", "20",
                           "--jobs", "6", "--json", str(out)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    report = json.loads(out.read_text(encoding="utf-8"))
    [one] = report["passes"]
    figures, flips = one["figures"], one["flips"]
    assert proc.returncode == (1 if flips else 0), proc.stdout + proc.stderr
    assert "test runs" in proc.stdout and "flips" in proc.stdout

    assert report["config"] == {"runs": 20, "jobs": 6, "factor": 3, "specs": ["udp-echo"], "cache": False,
                                "kinds": [], "alone": False}
    assert figures["concurrency"]["peak_running"] <= 6 and not figures["concurrency"]["adaptive"]
    assert report["isolation"] == report["machine"]["isolation"]
    # three copies (the reference, alice, frank) of 9 tests: at least the 20 asked
    assert figures["submissions"] == 3 and figures["test_runs"] == figures["tests_planned"] == 27
    assert figures["expected_fail"] == len(report["kinds"][2]["expected_to_fail"]) == 8
    assert figures["expected_pass"] + figures["expected_fail"] == figures["test_runs"]
    assert sum(k["test_runs"] for k in one["by_kind"].values()) == figures["test_runs"]
    assert sum(k["flips"] for k in one["by_kind"].values()) == figures["flips"] == len(flips)
    assert figures["flips_pass_to_fail"] + figures["flips_fail_to_pass"] == figures["flips"]
    assert figures["wall_s"] > 0 and figures["cpu_seconds"] > 0 and figures["peak_rss_mib"] > 0
    assert figures["machine_cpu_seconds"] > 0 and figures["one_alone_s"] is None
    # wall_s and cpu_seconds are rounded to 0.1 s, the ratio was taken before: as close as that rounding allows
    wall, cpu = figures["wall_s"], figures["cpu_seconds"] / figures["cores"]
    assert (wall - 0.05) / (cpu + 0.05 / figures["cores"]) - 0.005 <= figures["ratio"] \
        <= (wall + 0.05) / (cpu - 0.05 / figures["cores"]) + 0.005
    assert figures["overhead"]["tests"] >= figures["test_runs"]
    for flip in flips:
        assert set(flip) >= {"student", "test", "expected", "got", "reason", "transcript", "output"}
        assert flip["expected"] != flip["got"] and flip["student"] in proc.stdout


def test_the_default_soak_runs_a_second_pass_at_three_times_the_defaults_most(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--spec", "udp-echo", "--runs", "9",
                           "--kinds", "reference", "--alone", "--json", str(out)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    report = json.loads(out.read_text(encoding="utf-8"))
    first, second = report["passes"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert first["figures"]["concurrency"]["adaptive"] and not second["figures"]["concurrency"]["adaptive"]
    most = first["figures"]["concurrency"]["peak_running"]
    assert second["label"].startswith(f"-j {3 * most}:")
    assert [k["kind"] for k in report["kinds"]] == ["reference"]
    for one in (first, second):
        f = one["figures"]
        assert f["submissions"] == 1 and f["flips"] == 0 and f["one_alone_s"] > 0
        assert f["ratio"] > 0 and f["ratio_machine_cpu"] > 0
