"""A class graded in shards by real `grade --shard K/N` runs, and what `grade merge` accepts and refuses."""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from classbuild import EXAMPLES, ROOT, grade


def said(proc: subprocess.CompletedProcess) -> str:
    return proc.stdout + proc.stderr


def records(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def students(path: Path) -> set[str]:
    return {r["student"] for r in records(path)}


def verdicts(path: Path) -> dict:
    """(student, assignment) -> each test's name, pass or fail and points; or the reason nothing was graded."""
    return {(r["student"], r["assignment"]): [(t["name"], t["status"], t["score"]) for t in r["tests"]]
            or r["extra_data"]["error"] for r in records(path)}


def at_once(*runs: list) -> list[subprocess.CompletedProcess]:
    """Each list of arguments run as its own `grade` process, all at the same time (as CI's jobs run)."""
    started = [subprocess.Popen([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "200"})
               for args in runs]
    done = []
    try:
        for run in started:
            stdout, stderr = run.communicate(timeout=600)
            done.append(subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr))
    finally:
        for run in started:          # SIGTERM: grade stops its tests and removes what it made
            if run.poll() is None:
                run.terminate()
                run.communicate()
    return done


def shards(klass: Path, n: int, out: Path, *more) -> list[list]:
    """The arguments of ``grade`` for each of ``n`` shards of ``klass``, writing out/shard-K.json."""
    return [[klass, "--shard", f"{k}/{n}", "--json", out / f"shard-{k}.json", *more] for k in range(1, n + 1)]


def example_class_in_shards(tmp_path_factory) -> Path:
    """The example class (11 students) graded whole, and in 3 shards, all at once: each run grades afresh.
    Once for the test session: pytest-xdist's workers share the folder (the first one grades, under a lock).
    The whole run writes whole.json, whole.csv and whole.xml (JUnit), all --stable."""
    session = tmp_path_factory.getbasetemp()
    out = (session.parent if os.environ.get("PYTEST_XDIST_WORKER") else session) / "example-class-in-shards"
    out.mkdir(exist_ok=True)
    with open(out / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "graded").exists():
            whole = [EXAMPLES, "--no-cache", "--cache-dir", out / "cache-whole", "--stable", "--json", out / "whole.json",
                     "--csv", out / "whole.csv", "--junit", out / "whole.xml"]
            for proc in at_once(whole, *shards(EXAMPLES, 3, out, "--no-cache", "--cache-dir", out / "cache-shards",
                                               "--stable")):
                assert proc.returncode == 0, said(proc)
            (out / "graded").touch()
    return out


@pytest.fixture(scope="module")
def example_class(tmp_path_factory):
    return example_class_in_shards(tmp_path_factory)


def quick_class(folder: Path, names: list[str]) -> Path:
    """Students whose files match no assignment: graded (a "no assignment found" record each) at once."""
    for name in names:
        (folder / name).mkdir(parents=True)
        (folder / name / "notes.txt").write_text("my homework\n", encoding="utf-8")
    return folder


def test_shards_are_dealt_in_turn_by_name(example_class):
    parts = [students(example_class / f"shard-{k}.json") for k in (1, 2, 3)]
    assert [len(p) for p in parts] == [4, 4, 3]
    assert parts[0] == {"alice", "dave", "grace", "judy"}            # the 1st, 4th, 7th and 10th by name
    assert set().union(*parts) == students(example_class / "whole.json") and len(set().union(*parts)) == 11
    marks = {json.dumps(r["extra_data"]["shard"], sort_keys=True)
             for k in (1, 2, 3) for r in records(example_class / f"shard-{k}.json")}
    marks = [json.loads(m) for m in marks]   # one per shard: K differs; N, the class's size and digest do not
    assert sorted(m["k"] for m in marks) == [1, 2, 3]
    assert {(m["n"], m["students"], m["class"]) for m in marks} == {(3, 11, marks[0]["class"])}


def test_the_shards_merged_give_the_whole_run_s_verdicts(example_class, tmp_path):
    proc = grade("merge", *(example_class / f"shard-{k}.json" for k in (3, 1, 2)), "--stable",
                 "--json", tmp_path / "merged.json", "--csv", tmp_path / "grades.csv")
    assert proc.returncode == 0, said(proc)
    assert verdicts(tmp_path / "merged.json") == verdicts(example_class / "whole.json")
    assert len(verdicts(tmp_path / "merged.json")) == 14
    assert not any("shard" in r["extra_data"] for r in records(tmp_path / "merged.json"))
    assert "alice" in (tmp_path / "grades.csv").read_text(encoding="utf-8-sig")


def test_a_missing_shard_is_named_and_nothing_is_written(example_class, tmp_path):
    proc = grade("merge", example_class / "shard-1.json", example_class / "shard-3.json",
                 "--json", tmp_path / "merged.json")
    assert proc.returncode == 1, said(proc)
    assert "shard 2/3 is missing" in said(proc) and "4 of the class's 11 students" in said(proc)
    assert not (tmp_path / "merged.json").exists()


def test_a_shard_given_twice_is_refused(example_class):
    shard = example_class / "shard-1.json"
    proc = grade("merge", shard, shard, example_class / "shard-2.json", example_class / "shard-3.json")
    assert proc.returncode == 1, said(proc)
    assert "shard 1/3 is given twice" in said(proc)


def test_shards_of_two_classes_are_refused(example_class, tmp_path):
    other = quick_class(tmp_path / "other", ["ann", "ben", "cat"])
    grade(other, "--shard", "1/3", "--json", tmp_path / "other-1.json", "--cache-dir", tmp_path / "cache", check=True)
    assert students(tmp_path / "other-1.json") == {"ann"}
    proc = grade("merge", tmp_path / "other-1.json", example_class / "shard-2.json", example_class / "shard-3.json")
    assert proc.returncode == 1, said(proc)
    assert "shards of different classes" in said(proc) and "one of 3 students, one of 11" in said(proc)
    # the same size, other names: told apart all the same
    same_size = quick_class(tmp_path / "same-size", [f"s{i:02}" for i in range(11)])
    grade(same_size, "--shard", "1/3", "--json", tmp_path / "same-1.json", "--cache-dir", tmp_path / "cache", check=True)
    proc = grade("merge", tmp_path / "same-1.json", example_class / "shard-2.json", example_class / "shard-3.json")
    assert proc.returncode == 1 and "both of 11 students, but not the same names" in said(proc)


def test_an_empty_shard_is_not_missing(tmp_path):
    klass = quick_class(tmp_path / "class", ["ann", "ben"])
    runs = at_once(*shards(klass, 3, tmp_path, "--cache-dir", tmp_path / "cache"))
    assert [r.returncode for r in runs] == [0, 0, 0], [said(r) for r in runs]
    assert "0 students in shard 3/3 (2 in other shards)" in said(runs[2])
    assert records(tmp_path / "shard-3.json") == []
    for given in ((1, 2, 3), (1, 2)):       # the empty shard's file may be given or left out
        proc = grade("merge", *(tmp_path / f"shard-{k}.json" for k in given), "--json", tmp_path / "merged.json")
        assert proc.returncode == 0, said(proc)
        assert students(tmp_path / "merged.json") == {"ann", "ben"}
    proc = grade("merge", tmp_path / "shard-1.json", tmp_path / "shard-3.json")
    assert proc.returncode == 1 and "shard 2/3 is missing" in said(proc)
    proc = grade("merge", tmp_path / "shard-3.json")
    assert proc.returncode == 1 and "nothing to merge" in said(proc)


def test_shards_cut_differently_are_refused(tmp_path):
    klass = quick_class(tmp_path / "class", ["ann", "ben", "cat", "dan"])
    for shard in ("1/2", "2/3", "3/3"):
        grade(klass, "--shard", shard, "--json", tmp_path / f"{shard.replace('/', '-of-')}.json",
              "--cache-dir", tmp_path / "cache", check=True)
    proc = grade("merge", tmp_path / "1-of-2.json", tmp_path / "2-of-3.json", tmp_path / "3-of-3.json")
    assert proc.returncode == 1, said(proc)
    assert "different numbers of shards" in said(proc)


def test_files_graded_without_shard_merge_as_before_but_not_with_shards(tmp_path):
    klass = quick_class(tmp_path / "class", ["ann", "ben", "cat"])
    grade(klass, "--json", tmp_path / "whole.json", "--cache-dir", tmp_path / "cache", check=True)
    assert not any("shard" in r["extra_data"] for r in records(tmp_path / "whole.json"))
    ann = [r for r in records(tmp_path / "whole.json") if r["student"] == "ann"]
    rest = [r for r in records(tmp_path / "whole.json") if r["student"] != "ann"]
    (tmp_path / "ann.json").write_text(json.dumps(ann), encoding="utf-8")
    (tmp_path / "rest.json").write_text(json.dumps(rest), encoding="utf-8")
    proc = grade("merge", tmp_path / "ann.json", tmp_path / "rest.json", "--json", tmp_path / "merged.json")
    assert proc.returncode == 0, said(proc)
    assert records(tmp_path / "merged.json") == records(tmp_path / "whole.json")
    grade(klass, "--shard", "1/2", "--json", tmp_path / "shard-1.json", "--cache-dir", tmp_path / "cache", check=True)
    proc = grade("merge", tmp_path / "shard-1.json", tmp_path / "rest.json")
    assert proc.returncode == 1, said(proc)
    assert "graded without --shard" in said(proc) and "shard 1/2" in said(proc)


def test_a_damaged_shard_mark_is_a_usage_error(tmp_path):
    klass = quick_class(tmp_path / "class", ["ann"])
    grade(klass, "--shard", "1/1", "--json", tmp_path / "shard-1.json", "--cache-dir", tmp_path / "cache", check=True)
    damaged = records(tmp_path / "shard-1.json")
    damaged[0]["extra_data"]["shard"]["k"] = 7
    (tmp_path / "damaged.json").write_text(json.dumps(damaged), encoding="utf-8")
    proc = grade("merge", tmp_path / "damaged.json")
    assert proc.returncode == 2 and "damaged `extra_data.shard`" in said(proc) and "Traceback" not in said(proc)
