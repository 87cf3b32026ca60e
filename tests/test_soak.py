"""bench/soak.py: a tiny soak on real processes writes consistent figures (no timing is asserted)."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT
from bench import soak
from grader import cache, catalog, engine


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
    assert soak.parse_args([]).jobs == 3 * engine.default_jobs()
    assert soak.parse_args(["--jobs", "5"]).jobs == 5


def test_a_tiny_soak_reports_consistent_figures(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--spec", "udp-echo", "--runs", "20",
                           "--jobs", "6", "--json", str(out)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    report = json.loads(out.read_text(encoding="utf-8"))
    figures, flips = report["figures"], report["flips"]
    assert proc.returncode == (1 if flips else 0), proc.stdout + proc.stderr
    assert "test runs" in proc.stdout and "flips" in proc.stdout

    assert report["config"] == {"runs": 20, "jobs": 6, "factor": 3, "specs": ["udp-echo"], "cache": False}
    assert figures["jobs"] == 6 and report["isolation"] == report["machine"]["isolation"]
    # three copies (the reference, alice, frank) of 9 tests: at least the 20 asked
    assert figures["submissions"] == 3 and figures["test_runs"] == figures["tests_planned"] == 27
    assert figures["expected_fail"] == len(report["kinds"][2]["expected_to_fail"]) == 8
    assert figures["expected_pass"] + figures["expected_fail"] == figures["test_runs"]
    assert sum(k["test_runs"] for k in report["by_kind"].values()) == figures["test_runs"]
    assert sum(k["flips"] for k in report["by_kind"].values()) == figures["flips"] == len(flips)
    assert figures["flips_pass_to_fail"] + figures["flips_fail_to_pass"] == figures["flips"]
    assert figures["wall_s"] > 0 and figures["cpu_seconds"] > 0 and figures["peak_rss_mib"] > 0
    assert figures["overhead"]["tests"] >= figures["test_runs"]
    for flip in flips:
        assert set(flip) >= {"student", "test", "expected", "got", "reason", "transcript", "output"}
        assert flip["expected"] != flip["got"] and flip["student"] in proc.stdout
