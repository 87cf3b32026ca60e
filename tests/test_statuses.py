"""Every status arises where it should, in real gradings, and survives JSON and the cache; no code
reads a status from text (issue 15, "Typed results").

The class graded here: mallory (one mistake: some tests pass, some fail), sam (alice's server but
no client: the client's tests are not handed in), nina (none of the assignment's files: the whole
submission is not handed in) and oscar (a zip that is no zip: it cannot be graded).
"""
from __future__ import annotations

import ast
import json
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, SPECS
from grader.grading import api, marking
from grader.grading.cache import ResultCache, storable
from grader.grading.engine import Engine
from grader.kinds import test_from_dict as read_test
from grader.reporting import feedback, junit_report
from grader import results as res         # res.TestResult: a name pytest does not try to collect
from grader.results import AssignmentResult, Cause, Status, Why
from grader.job.context import JobRequest, Outcome

ECHO = SPECS / "udp-echo.yaml"
CLIENT_FILES = "clientudp.py or client_udp.py"
SERVER_FILES = "serverudp.py or server_udp.py"
CLIENT_TESTS = {"client sends message1..message5 and prints the replies", "student client with student server"}


@pytest.fixture(scope="module")
def klass(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("statuses") / "class"
    shutil.copytree(EXAMPLES / "mallory", folder / "mallory")
    (folder / "sam").mkdir()
    shutil.copy(EXAMPLES / "alice" / "serverudp.py", folder / "sam")
    (folder / "nina").mkdir()
    (folder / "nina" / "notes.txt").write_text("I ran out of time\n", encoding="utf-8")
    (folder / "oscar.zip").write_bytes(b"not a zip at all")
    return folder


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory):
    """The class graded twice with one cache: (the first run, the second, the cache folder)."""
    cache = tmp_path_factory.mktemp("statuses-cache")
    first = api.grade_class(klass, specs=[str(ECHO)], cache_dir=str(cache))
    again = api.grade_class(klass, specs=[str(ECHO)], cache_dir=str(cache))
    return first, again, cache


def of(run, student: str) -> AssignmentResult:
    [result] = [r for r in run.results if r.student == student]
    return result


# -- each status where it should arise ---------------------------------------------------------------
def test_a_passing_and_a_failing_test(graded):
    mallory = of(graded[0], "mallory")
    statuses = {t.name: t.status for t in mallory.tests}
    assert statuses["server binds UDP 9999"] is Status.PASSED
    assert statuses["server keeps answering after many datagrams"] is Status.FAILED
    assert set(statuses.values()) == {Status.PASSED, Status.FAILED}, statuses
    assert mallory.status is Status.GRADED and not mallory.ungraded and not mallory.infrastructure_failed
    assert all(t.passed == (t.status is Status.PASSED) for t in mallory.tests)
    assert mallory.score == sum(t.max_points for t in mallory.tests if t.status is Status.PASSED)


def test_a_role_not_handed_in(graded):
    sam = of(graded[0], "sam")
    absent = {t.name for t in sam.tests if t.status is Status.NOT_HANDED_IN}
    assert absent == CLIENT_TESTS
    assert all(t.status is Status.PASSED for t in sam.tests if t.name not in absent), \
        {t.name: t.reason for t in sam.tests}
    for test in sam.tests:
        if test.name in absent:     # the words people read are the same as ever; the files named apart
            assert (test.reason, test.missing, test.points) == (f"{CLIENT_FILES} was not handed in", CLIENT_FILES, 0)
            assert test.cause == Why(Cause.NOT_HANDED_IN, detail=CLIENT_FILES)
    assert sam.status is Status.GRADED          # the server was graded


def test_a_submission_not_handed_in_at_all(graded):
    nina = of(graded[0], "nina")
    assert nina.status is Status.NOT_HANDED_IN and nina.tests and not nina.error
    assert {t.status for t in nina.tests} == {Status.NOT_HANDED_IN}
    assert {t.missing for t in nina.tests} == {SERVER_FILES, CLIENT_FILES}
    row = {r.student: r for r in marking.build(graded[0].results).rows}["nina"]
    assert row.absent == {"udp-echo"} and row.scores == {"udp-echo": 0.0}
    assert f"{marking.NOT_HANDED_IN}: udp-echo" in row.problems


def test_a_submission_that_cannot_be_graded(graded):
    oscar = of(graded[0], "oscar")
    assert oscar.status is Status.NOT_GRADED and oscar.ungraded and not oscar.infrastructure_failed
    assert "oscar.zip is not a zip file" in oscar.error and oscar.tests == []
    suite = junit_report.build([oscar]).find("testsuite")
    assert suite.find("testcase/failure").get("type") == "not graded"


def test_the_reporters_say_what_the_statuses_say(graded, tmp_path):
    first = graded[0]
    written = {p.stem: p.read_text(encoding="utf-8") for p in feedback.write(first.results, marking.build(first.results), tmp_path)}
    assert f"**Not handed in:** {CLIENT_FILES}. The tests that need it score 0." in written["sam"]
    assert "**Not handed in:**" not in written["mallory"]
    rows = {r.student: r for r in marking.build(first.results).rows}
    assert rows["sam"].absent == set() and rows["sam"].failed == len(CLIENT_TESTS)
    assert rows["oscar"].incomplete and not rows["mallory"].incomplete


def test_tests_not_run_when_the_submissions_time_is_used_up(engine, specs):
    spec = specs["udp-echo"]
    no_time = replace(spec, limits=replace(spec.limits, submission_seconds=0.0))
    result = engine.grade(EXAMPLES / "alice", no_time)
    assert {t.status for t in result.tests} == {Status.NOT_RUN}
    assert all(t.cause == Why(Cause.NOT_RUN) and t.points == 0 and not t.passed for t in result.tests)
    assert result.status is Status.GRADED and storable(result)


BROKEN_REFERENCE = textwrap.dedent("""\
    id: broken-reference
    title: a reference that crashes
    transport: udp
    address: {host: 127.0.0.1, port: 9999}
    roles:
      server: {files: [serverudp.py], reference: crashing_server.py}
    tests:
      - name: server answers as the reference does
        tags: [protocol]
        points: 2
        hint: a hint the student must not see when the grader failed
        steps:
          - send: message1
          - expect: {reference: true}
    """)


def test_grading_fails_when_the_reference_does(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "crashing_server.py").write_text("raise SystemExit('the reference is broken')\n", encoding="utf-8")
    (folder / "broken.yaml").write_text(BROKEN_REFERENCE, encoding="utf-8")
    student = tmp_path / "alice"
    student.mkdir()
    shutil.copy(EXAMPLES / "alice" / "serverudp.py", student)
    cache = tmp_path / "cache"
    run = api.grade_class(student, specs=[str(folder / "broken.yaml")], cache_dir=str(cache))
    [result] = run.results
    [test] = result.tests
    assert test.status is Status.GRADING_FAILED and test.grading_failed and not test.passed
    assert test.reason.startswith("grading failed: the reference program failed this test"), test.reason
    assert test.hint == "" and test.points == 0
    assert result.infrastructure_failed and not storable(result)
    assert not list(cache.glob("*.json"))                  # never kept: the next run grades again
    suite = junit_report.build(run.results).find("testsuite")
    assert suite.find("testcase/failure").get("type") == "grading failed"


def test_grading_fails_for_a_whole_submission_when_the_grader_does(tmp_path, monkeypatch):
    def broken(self, *args, **kwargs):       # the grader's own bug, before any test of the submission runs
        raise RuntimeError("a bug of the grader")
    monkeypatch.setattr(Engine, "submit", broken)
    cache = tmp_path / "cache"
    run = api.grade_class(EXAMPLES / "alice", specs=[str(ECHO)], cache_dir=str(cache))
    [result] = run.results
    assert result.status is Status.GRADING_FAILED and result.ungraded and result.infrastructure_failed
    assert result.error.startswith("grading failed: the grader itself failed: RuntimeError: a bug of the grader")
    assert not list(cache.glob("*.json"))
    row = marking.build(run.results).rows[0]
    assert row.incomplete and not row.graded
    assert junit_report.build(run.results).find("testsuite/testcase/failure").get("type") == "grading failed"


def test_the_worker_says_not_handed_in_by_its_status(engine, specs):
    """A program missing in the worker itself (the engine checks first, so only a bug gets there)."""
    spec = specs["udp-echo"]
    test = next(t for t in spec.tests if t.name == "server binds UDP 9999")
    outcome = engine.run_worker(spec, test, EXAMPLES / "alice", files={})
    assert outcome.status is Status.NOT_HANDED_IN and not outcome.passed, outcome
    assert (outcome.reason, outcome.missing) == (f"{SERVER_FILES} was not handed in", SERVER_FILES)
    assert outcome.cause == Why(Cause.NOT_HANDED_IN, detail=SERVER_FILES)


# -- round trips -----------------------------------------------------------------------------------
def test_results_round_trip_through_json(graded):
    results = graded[0].results
    assert {r.status for r in results} == {Status.GRADED, Status.NOT_HANDED_IN, Status.NOT_GRADED}
    for result in results:
        record = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
        assert AssignmentResult.from_dict(record) == result
        assert record["extra_data"]["status"] == result.status.value
        for test, entry in zip(result.tests, record["tests"]):
            assert entry["extra_data"]["status"] == test.status.value
            assert entry["status"] == ("passed" if test.passed else "failed")     # Gradescope knows two


def test_every_status_round_trips_and_a_wrong_one_is_refused():
    for status in (Status.PASSED, Status.FAILED, Status.NOT_HANDED_IN, Status.NOT_RUN, Status.GRADING_FAILED):
        test = res.TestResult("t", ["protocol"], 0, 1, status, reason="why", missing="a.py")
        assert res.TestResult.from_dict(json.loads(json.dumps(test.to_dict()))) == test
    with pytest.raises(ValueError):
        res.TestResult("t", [], 0, 1, Status.GRADED)
    with pytest.raises(ValueError):
        AssignmentResult("s", "a", "A", [], status=Status.PASSED)
    with pytest.raises(ValueError):                  # a submission not graded says why
        AssignmentResult("s", "a", "A", [], status=Status.NOT_GRADED)
    with pytest.raises(ValueError):                  # and only then
        AssignmentResult("s", "a", "A", [], error="why")
    record = res.TestResult("t", [], 1, 1, Status.PASSED).to_dict()
    record["extra_data"]["status"] = "half passed"
    with pytest.raises(ValueError):
        res.TestResult.from_dict(record)


def test_results_round_trip_through_the_cache(graded, tmp_path):
    first, again, cache = graded
    kept = [r for r in first.results if storable(r)]
    assert {r.student for r in kept} == {"mallory", "sam", "nina"}
    assert len(list(cache.glob("*.json"))) == len(kept)
    assert (again.cached, again.graded) == (len(kept), 0)
    assert again.results == first.results
    store = ResultCache(tmp_path / "other")
    for result in kept:
        store.put(result.student, result)
        assert store.get(result.student, result.student) == result


def test_the_outcome_and_the_job_round_trip(specs):
    outcome = Outcome(status=Status.NOT_HANDED_IN, reason="a.py was not handed in", missing="a.py",
                      answers={1: "Hello, message1!"}, wire=[("client", "message1")], notes=["n"],
                      metrics={"served_at_once": 2.0}, timing={"first_program": 1.5})
    assert Outcome.from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome
    assert Outcome.grading_failed("boom").status is Status.GRADING_FAILED
    for spec in specs.values():
        for test in spec.tests:
            job = JobRequest(test=test, transport=spec.transport, host=spec.host, port=spec.port,
                             framing=spec.framing, python="/usr/bin/python3", limits=spec.limits, key="k",
                             programs={"server": {"student": "s.py", "reference": None, "args": [], "names": "s.py"}},
                             hide=["/somewhere"], cgroup={"path": "/sys/fs/cgroup/test-1"})
            assert JobRequest.from_dict(json.loads(json.dumps(job.to_dict())), read_test) == job, (spec.id, test.name)


# -- no status is ever read from text --------------------------------------------------------------
STATUS_WORDS = {s.value for s in Status} | {s.value.replace("_", " ") for s in Status} | {"pass", "fail"}
STATUS_TEXTS = ("was not handed in", "grading failed", "not run:")
TEXT_METHODS = {"startswith", "endswith", "removeprefix", "removesuffix", "find", "index", "count"}
REGEX_FUNCTIONS = {"compile", "search", "match", "fullmatch", "findall", "finditer", "sub", "split"}


def _strings(node) -> list[str]:
    """The string literals of ``node``, itself or the items of a tuple, list or set of them."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for item in node.elts for s in _strings(item)]
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    return []


def _a_status(text: str, whole_words: bool) -> bool:
    return (whole_words and text.strip().lower() in STATUS_WORDS) or any(t in text.lower() for t in STATUS_TEXTS)


def status_parses(source: str) -> list[tuple[int, str]]:
    """(line, what) for each place ``source`` compares with, or looks in text for, a status as a string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is,
                                                                  ast.IsNot)) for op in node.ops):
            for operand in (node.left, *node.comparators):
                found += [(node.lineno, s) for s in _strings(operand) if _a_status(s, whole_words=True)]
        elif isinstance(node, ast.match_case):
            found += [(node.pattern.lineno, s) for p in ast.walk(node.pattern) if isinstance(p, ast.MatchValue)
                      for s in _strings(p.value) if _a_status(s, whole_words=True)]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            regex = node.func.attr in REGEX_FUNCTIONS and isinstance(node.func.value, ast.Name) \
                and node.func.value.id == "re"
            if node.func.attr in TEXT_METHODS or regex:
                found += [(node.lineno, s) for arg in node.args for s in _strings(arg)
                          if _a_status(s, whole_words=not regex)]
    return found


def test_the_check_finds_a_status_read_from_text():
    planted = textwrap.dedent("""\
        ok = t.status == "passed"
        gone = "failed" != verdict
        either = status in ("not_run", "grading_failed")
        missing = reason.endswith("was not handed in")
        broken = reason.startswith("grading failed")
        names = reason.removesuffix(" was not handed in")
        pattern = re.compile(r"\\S+ was not handed in")
        match status:
            case "not_handed_in":
                pass
        shown = f"{names} was not handed in"            # words written for people: fine
        kind = "grading failed" if broken else "failed"   # and chosen for them: fine
        label = t.status is Status.PASSED                 # the enum: fine
        """)
    assert [line for line, _ in status_parses(planted)] == [1, 2, 3, 3, 4, 5, 6, 7, 9]


@pytest.mark.parametrize("path", sorted([*(ROOT / "grader").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_status_is_read_from_text(path):
    assert status_parses(path.read_text(encoding="utf-8")) == [], \
        f"{path.relative_to(ROOT)} compares a status as a string: use grader.results.Status"
