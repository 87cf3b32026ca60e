"""One role, several forms: the key-value store of tests/data/kvstore, written from the spec guide,
grades a class of Python and C students with one spec, one reference and one set of tests.

ann (Python, threaded) and cat (C, threaded) score full marks; bob (Python) and dan (C) serve one
client at a time and fail the concurrency test, each with the hint of their own language; eve
handed in Java, which the spec does not take, and is told so. Every output says which form each
student used.
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from conftest import ROOT, make_submission
from grader.input import discover
from grader.specfile import load_spec
from grader.spec.errors import SpecError

KVSTORE = ROOT / "tests" / "data" / "kvstore"
SPEC = KVSTORE / "kvstore.yaml"
CONCURRENCY = "a second client is served while the first stays connected"
needs_gcc = pytest.mark.skipif(not shutil.which("gcc"), reason="gcc is not installed: the C students cannot be built")


def grade(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class graded once, with every output written."""
    out = tmp_path_factory.mktemp("kv-outputs")
    run = grade(str(KVSTORE / "students"), "--spec", str(SPEC), "-j", "2", "--stable", "--no-cache",
                "--json", str(out / "results.json"), "--csv", str(out / "grades.csv"),
                "--junit", str(out / "junit.xml"), "--report", str(out / "report.html"),
                "--feedback", str(out / "feedback"))
    assert run.returncode == 0, run.stderr + run.stdout
    return run, out


def by_student(out) -> dict:
    return {r["student"]: r for r in json.loads((out / "results.json").read_text())}


def test_the_spec_builds_one_role_of_two_forms():
    server = load_spec(SPEC).roles["server"]
    assert [f.name for f in server.forms] == ["python", "c"]
    assert server.reference_form == "python"
    assert server.form_of("src/kvserver.c").run == ("./kvserver",)
    assert server.form_of("KV_SERVER.PY").python
    assert server.languages == "Python or C"


@needs_gcc
def test_grade_check_passes_the_spec_as_written():
    run = grade("check", str(SPEC), "-j", "2")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "roles: server (kvserver.py or kvserver.c)" in run.stdout
    assert "READY: the reference passes every test" in run.stdout
    assert "role 'server': your reference is of its Python form; the commands of its C form are tried only " \
           "on a student's file of that form" in " ".join(run.stdout.split())
    assert "warning" not in run.stdout


@needs_gcc
def test_each_student_is_graded_in_the_form_handed_in(graded):
    _, out = graded
    results = by_student(out)
    forms = {name: r["extra_data"].get("forms") for name, r in results.items()}
    assert forms == {"ann": {"server": "python"}, "bob": {"server": "python"}, "cat": {"server": "c"},
                     "dan": {"server": "c"}, "eve": None}
    scores = {name: (r["score"], r["max_score"]) for name, r in results.items()}
    assert scores == {"ann": (12.0, 12.0), "bob": (10.0, 12.0), "cat": (12.0, 12.0), "dan": (10.0, 12.0),
                      "eve": (0.0, 12.0)}
    for name in ("bob", "dan"):
        failed = [t["name"] for t in results[name]["tests"] if t["status"] == "failed"]
        assert failed == [CONCURRENCY], (name, failed)


@needs_gcc
def test_a_hint_is_given_in_the_language_of_the_form(graded):
    _, out = graded
    results = by_student(out)
    hint = {name: next(t["extra_data"]["hint"] for t in results[name]["tests"] if t["name"] == CONCURRENCY)
            for name in ("bob", "dan")}
    assert "threading.Thread" in hint["bob"] and "pthread" not in hint["bob"]
    assert "pthread_create" in hint["dan"] and "threading" not in hint["dan"]


@needs_gcc
def test_a_form_the_spec_does_not_take_is_named_in_the_problems(graded):
    run, out = graded
    eve = by_student(out)["eve"]
    assert eve["extra_data"]["left_out"] == ["KvServer.java handed in; this assignment takes Python or C"]
    assert all(t["extra_data"]["status"] == "not_handed_in" for t in eve["tests"])
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8-sig"))}
    assert "KvServer.java handed in; this assignment takes Python or C" in rows["eve"]["problems"]
    assert "KvServer.java handed in; this assignment takes Python or C" in run.stdout


@needs_gcc
def test_every_output_says_which_form_each_student_used(graded):
    run, out = graded
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8-sig"))}
    assert {name: row["form"] for name, row in rows.items()} == {
        "ann": "server in Python", "bob": "server in Python", "cat": "server in C", "dan": "server in C", "eve": ""}
    suites = {s.get("name"): {p.get("name"): p.get("value") for p in s.iter("property")}
              for s in ET.parse(out / "junit.xml").getroot().iter("testsuite")}
    assert suites["cat / kvstore"]["forms"] == "server in C"
    assert suites["ann / kvstore"]["forms"] == "server in Python"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<th data-type=\"text\">form</th>" in html and "<td>server in C</td>" in html
    feedback = "\n".join(p.read_text(encoding="utf-8") for p in sorted((out / "feedback").rglob("*.md"))
                         if "dan" in p.name)
    assert "**Handed in:** server in C." in feedback
    header = next(line for line in run.stdout.splitlines() if "student" in line and "problems" in line)
    assert "form" in header
    assert any("dan" in line and "server in C" in line for line in run.stdout.splitlines())


@needs_gcc
def test_json_numbers_of_one_type(graded):
    _, out = graded
    for record in json.loads((out / "results.json").read_text()):
        numbers = [record["score"], record["max_score"], *record["extra_data"]["sides"]["server"]]
        numbers += [n for t in record["tests"] for n in (t["score"], t["max_score"], t["extra_data"]["points"])]
        assert all(type(n) is float for n in numbers), (record["student"], numbers)


@needs_gcc
def test_the_stable_outputs_are_the_same_twice(graded, tmp_path):
    _, out = graded
    again = grade(str(KVSTORE / "students"), "--spec", str(SPEC), "-j", "2", "--stable", "--no-cache",
                  "--json", str(tmp_path / "results.json"), "--csv", str(tmp_path / "grades.csv"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "results.json").read_bytes() == (out / "results.json").read_bytes()
    assert (tmp_path / "grades.csv").read_bytes() == (out / "grades.csv").read_bytes()


FORM_ERRORS = [
    ({"files": ["a.py"], "forms": {"python": {"files": ["a.py"]}}}, "roles.server.files",
     "a role with `forms` gives `files` in each form"),
    ({"forms": {"python": {"files": ["a.py"]}, "c": {"files": ["A.PY"], "run": ["./a"]}}},
     "roles.server.forms.c.files", "'A.PY' is a file of the forms 'python' and 'c'"),
    ({"reference": "ref.rb", "forms": {"python": {"files": ["a.py"]}, "c": {"files": ["a.c"], "run": ["./a"]}}},
     "roles.server.reference", "the reference program 'ref.rb' is of none of the role's forms"),
    ({"optional": True}, "roles.server", "role 'server' has neither `files` nor `forms`"),
    ({"forms": {"c": {"files": ["a.c"], "build": ["gcc", "${file}"]}}}, "roles.server.forms.c.build",
     "a role with `build` needs `run`"),
]


@pytest.mark.parametrize("role, where, words", FORM_ERRORS)
def test_a_mistake_in_forms_is_a_spec_error_at_its_key(role, where, words, tmp_path):
    (tmp_path / "ref.rb").write_text("")
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({"id": "s", "transport": "tcp", "roles": {"server": role},
                                "tests": [{"name": "t", "tags": ["startup"], "startup": True}]}))
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert caught.value.path == where and words in caught.value.message, str(caught.value)
    run = grade("check", str(spec))
    assert run.returncode == 2 and words in run.stderr and "Traceback" not in run.stderr


def test_a_hint_for_a_form_no_role_has_is_a_spec_error(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({"id": "s", "transport": "tcp", "roles": {"server": {"files": ["a.py"]}},
                                "tests": [{"name": "t", "tags": ["startup"], "startup": True,
                                           "hint": {"python": "x", "rust": "y"}}]}))
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert caught.value.path == "tests[0].hint.rust" and "no role has a form named 'rust'" in caught.value.message


def test_a_hint_per_form_reaches_a_role_of_one_form_too(tmp_path, engine):
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({"id": "s", "transport": "tcp", "roles": {"server": {"files": ["a.py"]}},
                                "tests": [{"name": "t", "tags": ["startup"], "startup": True,
                                           "hint": {"python": "bind the port"}}]}))
    student = make_submission(tmp_path / "ann", {"a.py": "raise SystemExit(3)\n"})
    result = engine.grade(student, load_spec(spec))
    assert not result.tests[0].passed and result.tests[0].hint == "bind the port"
    assert result.forms == {}          # one form: nothing to choose, nothing said


def test_in_a_python_only_spec_a_c_file_is_named_not_just_missing(tmp_path):
    spec = tmp_path / "py-only.yaml"
    spec.write_text(json.dumps({"id": "py-only", "transport": "tcp", "roles": {"server": {"files": ["kvserver.py"]}},
                                "tests": [{"name": "t", "tags": ["startup"], "startup": True}]}))
    klass = tmp_path / "class"
    shutil.copytree(KVSTORE / "students" / "cat", klass / "cat")
    shutil.copytree(KVSTORE / "students" / "ann", klass / "ann")
    run = grade(str(klass), "--spec", str(spec), "-j", "1", "--csv", str(tmp_path / "grades.csv"))
    assert run.returncode == 0, run.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8-sig"))}
    assert rows["cat"]["problems"] == "py-only: kvserver.c handed in; this assignment takes Python; " \
                                      "not handed in: py-only", rows["cat"]
    assert rows["ann"]["problems"] == "" and "form" not in rows["ann"]      # one form: no column


def test_two_forms_handed_in_the_first_form_is_graded_and_the_other_named(tmp_path, engine):
    spec = load_spec(SPEC)
    startup = spec.tests[:1]
    student = make_submission(tmp_path / "fay", {"kvserver.py": KVSTORE / "kv-reference" / "kvserver.py",
                                                 "kvserver.c": "this is not C, and is never built\n"})
    result = engine.grade(student, replace(spec, tests=startup))
    assert result.tests[0].passed, result.tests[0].reason
    assert result.forms == {"server": "python"}
    assert result.left_out == ["kvserver.c also handed in for the server; kvserver.py was graded"]
    deeper = make_submission(tmp_path / "gus", {"kvserver.c": KVSTORE / "students" / "cat" / "kvserver.c"})
    make_submission(deeper / "old", {"kvserver.py": "raise SystemExit(1)\n"})
    assert discover.role_files(deeper, spec)["server"].name == "kvserver.c"     # the shallower wins
