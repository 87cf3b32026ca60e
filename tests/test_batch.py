"""A whole class: every student graded or told why, reproducible, cached, sharded, Gradescope."""
import json
import shutil
import sys
from pathlib import Path

import pytest

from classbuild import EXAMPLES, JOBS, ROOT, grade, zip_folder
from grader.grading import api
from grader.grading.engine import Engine


def by_key(records):
    return {(r["student"], r["assignment"]): r for r in records}


def test_every_student_is_graded_or_told_why(graded_class):
    records = by_key(graded_class.records)
    scores = {k: (r["score"], r["max_score"]) for k, r in records.items() if not r["extra_data"]["error"]}
    assert scores == {
        ("alice", "udp-contacts"): (30, 30), ("alice", "udp-echo-h"): (12, 12),
        ("张三", "udp-contacts"): (30, 30), ("张三", "udp-echo-h"): (12, 12),
        ("erin", "udp-contacts"): (25, 30), ("erin", "udp-echo-h"): (0, 12),
        ("frank", "udp-contacts"): (0, 30), ("frank", "udp-echo-h"): (2, 12),     # from a zip in a folder
        ("ivan", "udp-contacts"): (0, 30), ("ivan", "udp-echo-h"): (0, 12),       # from a flat zip
        ("peggy", "udp-contacts"): (0, 30), ("peggy", "udp-echo-h"): (0, 12),
    }
    # peggy's files have the wrong names: each test says what was not handed in
    assert all(t["extra_data"]["cause"]["kind"] == "not_handed_in" for t in records[("peggy", "udp-echo-h")]["tests"])
    # the broken zips: a "grading failed" record with the reason, and the others were graded
    for assignment in ("udp-contacts", "udp-echo-h"):
        assert "oscar.zip is not a zip file" in records[("oscar", assignment)]["extra_data"]["error"]
        assert "trudy.zip holds a file outside its folder" in records[("trudy", assignment)]["extra_data"]["error"]
    assert not list(graded_class.root.rglob("escaped.py"))
    assert not (graded_class.klass.parent.parent / "escaped.py").exists()


def test_records_are_sorted_by_student_then_assignment(graded_class):
    keys = [(r["student"], r["assignment"]) for r in graded_class.records]
    assert keys == sorted(keys) and len(keys) == 16


def test_fail_under_names_the_students_below(graded_class):
    proc = graded_class.proc
    assert proc.returncode == 1, proc.stdout + proc.stderr
    below = proc.stdout[proc.stdout.index("below 50%"):]
    for student in ("frank", "ivan", "oscar", "trudy", "peggy"):
        assert student in below
    for student in ("alice", "张三", "erin"):          # erin: 25 / 42
        assert student not in below
    assert "8 students; 12 graded now, 0 from the cache" in proc.stdout


def test_the_same_class_graded_twice_gives_identical_files(graded_class, tmp_path):
    proc = grade(graded_class.klass, *graded_class.args(), "--no-cache", "--stable", "-j", JOBS,
                 "--cache-dir", tmp_path / "cache",         # --no-cache writes what it graded
                 "--json", tmp_path / "run2.json", "--csv", tmp_path / "grades.csv",
                 "--junit", tmp_path / "junit.xml")
    assert proc.returncode == 0, proc.stdout + proc.stderr       # no --fail-under this time
    assert "12 graded now, 0 from the cache" in proc.stdout
    for first, second in (("run1.json", "run2.json"), ("grades.csv", "grades.csv"), ("junit.xml", "junit.xml")):
        a = (graded_class.out / first).read_bytes()
        b = (tmp_path / second).read_bytes()
        assert a == b, f"{first} differs between two runs"


def test_a_rerun_regrades_only_the_student_who_changed(graded_class, tmp_path, monkeypatch):
    klass = tmp_path / "class"
    shutil.copytree(graded_class.klass, klass)
    with open(klass / "erin" / "contactserverudp.py", "a", encoding="utf-8") as f:
        f.write("\n# resubmitted\n")
    graded_folders = []
    run_worker = Engine.run_worker

    def counting(self, spec, test, submission, files, mode="grade"):
        graded_folders.append(submission.name if submission else None)
        return run_worker(self, spec, test, submission, files, mode)

    monkeypatch.setattr(Engine, "run_worker", counting)
    run = api.grade_class(klass, specs=[str(graded_class.spec), "udp-contacts"], cache_dir=str(graded_class.cache),
                          jobs=JOBS)
    assert {name for name in graded_folders if name} == {"erin"}
    assert (run.graded, run.cached) == (2, 10)           # erin's two assignments; oscar and trudy are not cached
    erin = {r.assignment: r.score for r in run.results if r.student == "erin"}
    assert erin == {"udp-contacts": 25, "udp-echo-h": 0}


def test_shards_merged_give_the_unsharded_outputs(graded_class, tmp_path):
    shards = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}.json"
        grade(graded_class.klass, *graded_class.args(), "--cache-dir", graded_class.cache, "--shard", f"{k}/2",
              "--json", out)
        shards.append({r["student"] for r in json.loads(out.read_text(encoding="utf-8"))})
    assert not shards[0] & shards[1]
    assert shards[0] | shards[1] == {r["student"] for r in graded_class.records}
    assert [len(s) for s in shards] == [4, 4]              # 8 students dealt in turn
    proc = grade("merge", tmp_path / "shard1.json", tmp_path / "shard2.json", "--stable", "--title", "Class report: class",
                 "--json", tmp_path / "merged.json", "--csv", tmp_path / "grades.csv", "--junit", tmp_path / "junit.xml",
                 "--report", tmp_path / "report.html")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for mine, theirs in (("merged.json", "run1.json"), ("grades.csv", "grades.csv"), ("junit.xml", "junit.xml"),
                         ("report.html", "report.html")):
        assert (tmp_path / mine).read_bytes() == (graded_class.out / theirs).read_bytes(), mine


def test_merge_refuses_a_student_twice(graded_class):
    run1 = graded_class.out / "run1.json"
    proc = grade("merge", run1, run1)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "is in both" in said and "no output was written" in said


def test_merge_fail_under_passes_when_everyone_is_above(graded_class, tmp_path):
    alice = [r for r in graded_class.records if r["student"] in ("alice", "张三")]
    (tmp_path / "top.json").write_text(json.dumps(alice, ensure_ascii=False), encoding="utf-8")
    proc = grade("merge", tmp_path / "top.json", "--fail-under", 100)
    assert proc.returncode == 0, proc.stdout
    assert "张三" in proc.stdout


def test_one_student_folder_or_zip_is_graded_alone(graded_class, tmp_path):
    # ivan's zip holds the same files as his folder: the cache of the class run answers both
    for path in (EXAMPLES / "ivan", graded_class.klass / "ivan.zip"):
        proc = grade(path, *graded_class.args(), "--cache-dir", graded_class.cache, "--json", tmp_path / "ivan.json")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        records = json.loads((tmp_path / "ivan.json").read_text(encoding="utf-8"))
        assert {(r["student"], r["assignment"]) for r in records} == {("ivan", "udp-contacts"), ("ivan", "udp-echo-h")}
        assert "Python 2" in proc.stdout           # the detailed table of one student
        assert "0 graded now, 2 from the cache" in proc.stdout


def test_a_class_zip_of_student_folders(graded_class, tmp_path):
    staged = tmp_path / "download"
    for name in ("alice", "peggy"):
        shutil.copytree(graded_class.klass / name, staged / "homework" / f"{name}_1234_assignsubmission_file_")
    zip_folder(staged, tmp_path / "homework.zip")
    run = api.grade_class(tmp_path / "homework.zip", specs=[str(graded_class.spec)],
                          cache_dir=str(graded_class.cache))
    assert not run.single and run.students == ["alice", "peggy"]
    assert [(r.student, r.score) for r in run.results] == [("alice", 12), ("peggy", 0)]


def test_without_spec_a_student_with_no_known_file_is_reported(tmp_path):
    klass = tmp_path / "class"
    (klass / "peggy").mkdir(parents=True)
    (klass / "peggy" / "my_server.py").write_text("print('hi')\n", encoding="utf-8")
    (klass / "quentin").mkdir()
    run = api.grade_class(klass, use_cache=False)
    assert [(r.student, r.assignment) for r in run.results] == [("peggy", ""), ("quentin", "")]
    assert "handed in: my_server.py" in run.results[0].error
    assert "serverudp.py" in run.results[0].error
    assert "handed in: nothing" in run.results[1].error


@pytest.mark.parametrize("args, message", [
    (["--shard", "3/2"], "grade: error: argument --shard: 3/2: K must be between 1 and N"),
    (["--shard", "two"], "grade: error: argument --shard: takes K/N"),
    (["--test", "no such test"], "grade: error: no test named 'no such test'"),
])
def test_usage_mistakes_are_one_line(args, message, tmp_path):
    proc = grade(EXAMPLES, "--spec", "udp-echo", *args)
    assert proc.returncode == 2 and proc.stdout == ""
    assert message in proc.stderr and "Traceback" not in proc.stderr


# -- Gradescope ---------------------------------------------------------------
def autograder(tmp_path, student: str) -> Path:
    root = tmp_path / "autograder"
    shutil.copytree(EXAMPLES / student, root / "submission")
    (root / "source").mkdir()
    return root


def test_gradescope_results_json(graded_class, tmp_path):
    root = autograder(tmp_path, "frank")
    proc = grade("--gradescope", "--autograder-dir", root, "--spec", graded_class.spec, "-j", JOBS)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 2
    assert isinstance(results["execution_time"], int)
    assert sum(t["max_score"] for t in results["tests"]) == 12
    for t in results["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "tags", "visibility"}
        assert t["status"] in ("passed", "failed")
    tests = {t["name"]: t for t in results["tests"]}
    hidden = tests["server keeps answering after many datagrams"]
    assert (hidden["visibility"], hidden["output"], hidden["status"]) == ("after_published", "", "failed")
    startup = tests["server binds UDP 9999"]
    assert startup["visibility"] == "visible" and "this assignment needs UDP" in startup["output"]


def test_gradescope_run_autograder_script_when_nothing_is_handed_in(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "notes.txt").write_text("I forgot\n", encoding="utf-8")
    import os
    import subprocess
    env = {**os.environ, "SOCKGRADE_AUTOGRADER_DIR": str(root), "PYTHONPATH": str(ROOT),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", str(ROOT / "gradescope" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0 and results["tests"] == []
    assert "no assignment found" in results["output"] and "notes.txt" in results["output"]


def test_a_run_of_some_tests_is_not_taken_for_the_whole_spec(tmp_path):
    klass = tmp_path / "class"
    for name in ("peggy", "quentin"):       # wrong file names: every test says so, no program runs
        (klass / name).mkdir(parents=True)
        (klass / name / "my_server.py").write_text("print('hi')\n", encoding="utf-8")
    cache = str(tmp_path / "cache")
    some = api.grade_class(klass, specs=["udp-echo"], tests=["server binds UDP 9999"], cache_dir=cache)
    assert [len(r.tests) for r in some.results] == [1, 1]
    whole = api.grade_class(klass, specs=["udp-echo"], cache_dir=cache)
    assert (whole.graded, whole.cached) == (2, 0)
    assert [len(r.tests) for r in whole.results] == [9, 9]
    again = api.grade_class(klass, specs=["udp-echo"], cache_dir=cache)
    assert (again.graded, again.cached) == (0, 2)
