"""Regrading into the cache: --no-cache / --regrade replace a false result; --student and --test narrow it."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from classbuild import grade
from conftest import EXAMPLES, REFERENCE, SPECS
from grader.grading import api
from grader.grading.engine import Engine

BINDS = "server binds UDP 9999"
ANSWERS = "server answers Hello, <data>!"      # mallory's server answers once and exits: she fails it
JOBS = 8


def two_test_spec(folder: Path) -> Path:
    """udp-echo cut to its first two tests, as a teacher's own spec file: the whole assignment here."""
    text = (SPECS / "udp-echo.yaml").read_text(encoding="utf-8")
    text = text[:text.index("  - name: server keeps answering")]
    text = text.replace("id: udp-echo", "id: udp-echo-2").replace("../reference/", f"{REFERENCE}/")
    path = folder / "udp-echo-2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def school(tmp_path):
    klass = tmp_path / "class"
    for student in ("alice", "mallory"):
        (klass / student).mkdir(parents=True)
        for name in ("serverudp.py", "clientudp.py"):
            shutil.copy(EXAMPLES / student / name, klass / student / name)
    return klass, two_test_spec(tmp_path), tmp_path / "cache"


def entries(cache: Path, student: str, tests: int) -> list[Path]:
    """The cache's entries of ``student`` that hold ``tests`` tests."""
    found = []
    for path in cache.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["student"] == student and len(data["tests"]) == tests:
            found.append(path)
    return found


def doctor(cache: Path, student: str, tests: int, *names: str) -> None:
    """A false result in the cache: the named tests of the student's entry failed."""
    [path] = entries(cache, student, tests)
    data = json.loads(path.read_text(encoding="utf-8"))
    for t in data["tests"]:
        if t["name"] in names:
            t.update(status="failed", score=0)
            t["extra_data"].update(reason="doctored", status="failed")
    path.write_text(json.dumps(data), encoding="utf-8")


def scores(run) -> dict[str, float]:
    return {r.student: r.score for r in run.results}


def verdicts(run, student: str) -> dict[str, bool | str]:
    """Each test of the student's record: True when it passed, else its reason."""
    [result] = [r for r in run.results if r.student == student]
    return {t.name: t.passed or t.reason for t in result.tests}


@pytest.fixture
def graded_tests(monkeypatch):
    """(student folder, test) of every test graded in this process from now on."""
    seen = []
    run_worker = Engine.run_worker

    def counting(self, spec, test, submission, files, mode="grade"):
        if mode == "grade":
            seen.append((submission.name, test.name))
        return run_worker(self, spec, test, submission, files, mode)

    monkeypatch.setattr(Engine, "run_worker", counting)
    return seen


@pytest.mark.parametrize("flag", ["--no-cache", "--regrade"])
def test_a_false_result_in_the_cache_is_replaced(school, flag, tmp_path):
    klass, spec, cache = school
    first = api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS)
    assert scores(first) == {"alice": 4, "mallory": 2}
    doctor(cache, "alice", 2, ANSWERS)
    fooled = api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS)
    assert (fooled.cached, scores(fooled)) == (2, {"alice": 2, "mallory": 2})

    proc = grade(klass, "--spec", spec, "--cache-dir", cache, flag, "-j", JOBS, "--json", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 graded now, 0 from the cache; the fresh results replace the cache's" in proc.stdout
    assert {r["student"]: r["score"] for r in json.loads((tmp_path / "r.json").read_text())} == {
        "alice": 4, "mallory": 2}

    after = api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS)
    assert (after.graded, after.cached, scores(after)) == (0, 2, {"alice": 4, "mallory": 2})


def test_student_regrades_only_that_student(school, graded_tests):
    klass, spec, cache = school
    api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS)
    doctor(cache, "alice", 2, ANSWERS)
    doctor(cache, "mallory", 2, BINDS)
    graded_tests.clear()

    run = api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS, regrade=True,
                          students=["alice"])
    assert {folder for folder, _ in graded_tests} == {"alice"}
    assert (run.students, run.unselected, run.graded, scores(run)) == (["alice"], ["mallory"], 1, {"alice": 4})

    after = api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS)
    assert (after.cached, scores(after)) == (2, {"alice": 4, "mallory": 0})    # mallory's entry untouched
    assert verdicts(after, "mallory")[BINDS] == "doctored"

    with pytest.raises(ValueError, match="--student nobody: no student of that name"):
        api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), regrade=True, students=["nobody"])


def test_regrading_one_test_updates_it_inside_the_whole_record(school, graded_tests):
    klass, spec, cache = school
    api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS)
    doctor(cache, "alice", 2, BINDS, ANSWERS)
    for path in entries(cache, "mallory", 2):        # mallory has no record of the whole assignment
        path.unlink()
    graded_tests.clear()

    run = api.grade_class(klass, specs=[str(spec)], tests=[ANSWERS], cache_dir=str(cache), jobs=JOBS,
                          regrade=True)
    # only the test named, for each; mallory had no record of the whole assignment to merge into
    assert sorted(graded_tests) == [("alice", ANSWERS), ("mallory", ANSWERS)]
    assert (run.graded, run.cached, run.merged) == (2, 0, 1)
    # the run shows alice's whole record as the cache now holds it, and mallory's test
    assert verdicts(run, "alice") == {BINDS: "doctored", ANSWERS: True}
    assert set(verdicts(run, "mallory")) == {ANSWERS}

    whole = api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS)
    assert (whole.graded, whole.cached) == (1, 1)                            # mallory graded whole now
    assert verdicts(whole, "alice") == {BINDS: "doctored", ANSWERS: True}   # BINDS untouched
    assert scores(whole) == {"alice": 2, "mallory": 2}
    one = api.grade_class(klass, specs=[str(spec)], tests=[ANSWERS], cache_dir=str(cache), jobs=JOBS)
    assert (one.graded, one.cached, scores(one)) == (0, 2, {"alice": 2, "mallory": 0})


def test_a_run_of_some_tests_reads_the_whole_record_not_an_earlier_run_of_them(school):
    klass, spec, cache = school
    api.grade_class(klass, specs=[str(spec)], tests=[ANSWERS], cache_dir=str(cache), jobs=JOBS)
    doctor(cache, "alice", 1, ANSWERS)                 # a false result kept by that earlier run of one test
    api.grade_class(klass, specs=[str(spec)], cache_dir=str(cache), jobs=JOBS, regrade=True)
    one = api.grade_class(klass, specs=[str(spec)], tests=[ANSWERS], cache_dir=str(cache), jobs=JOBS)
    assert (one.graded, one.cached) == (0, 2)
    assert verdicts(one, "alice") == {ANSWERS: True}   # the regraded record's, not the earlier run's
    again = api.grade_class(klass, specs=[str(spec)], tests=[ANSWERS], cache_dir=str(cache), jobs=JOBS,
                            regrade=True)
    assert again.merged == 2 and verdicts(again, "alice") == {BINDS: True, ANSWERS: True}
