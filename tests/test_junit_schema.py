"""--junit is valid against the Ant/Jenkins schema (junit-4.xsd), pytest's (junit-10.xsd) and the older
Jenkins one of dtkit, whose <skipped> takes no attributes, in real runs.

The first two schemas are copies of public files (tests/data/junit/README.md says where from); the
dtkit rule is the Ant schema with <skipped> a plain string element (``dtkit_schema``). Results of
every kind (passed, failed, a bonus not earned, a grader failure, a submission that could not be
graded, a program that printed control bytes) go through a real `grade merge`; a real grading
checks that a student with every point of an assignment has no failure.
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

from conftest import EXAMPLES, ROOT
from grader import results as res         # res.TestResult: a name pytest does not try to collect
from grader.reporting import json_report

JUNIT = ROOT / "tests" / "data" / "junit"
SCHEMAS = ("junit-4.xsd", "junit-10.xsd", "dtkit-junit-4")
ANT_SKIPPED = '<xs:element name="skipped" />'


def dtkit_schema() -> str:
    """The Ant schema with dtkit's <skipped>: text only, no attribute (a message attribute is refused)."""
    ant = (JUNIT / "junit-4.xsd").read_text(encoding="utf-8")
    assert ant.count(ANT_SKIPPED) == 1
    return ant.replace(ANT_SKIPPED, '<xs:element name="skipped" type="xs:string" />')


@pytest.fixture(scope="module")
def schemas():
    found = {name: xmlschema.XMLSchema(str(JUNIT / name)) for name in SCHEMAS[:2]}
    found["dtkit-junit-4"] = xmlschema.XMLSchema(dtkit_schema())
    return found


def grade(*args, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def invalid(schema, xml: str) -> list[str]:
    return [str(e.reason) for e in schema.iter_errors(xml)]


def test(name, passed=True, **kw) -> res.TestResult:
    points = kw.pop("points", 2)
    status = kw.pop("status", res.Status.verdict(passed))
    return res.TestResult(name=name, tags=["protocol"], points=points if passed else 0, max_points=points,
                          status=status, **kw)


test.__test__ = False       # a builder, not a test


def every_kind() -> list[res.AssignmentResult]:
    alice = res.AssignmentResult(
        student="alice", assignment="udp-contacts", title="UDP contact book", isolation="sandbox", duration=12.3456789,
        tests=[test("server binds UDP 9999", server_output="Bind UDP on 9999\n", duration=0.123456),
               test("client retries when the reply is lost", passed=False, bonus=True, reason="no retry",
                    duration=8.0004),
               test("find returns the phone", duration=1.0)])
    bob = res.AssignmentResult(
        student="bob.smith", assignment="udp-contacts", title="UDP contact book", isolation="netns", duration=3,
        tests=[test("find returns the phone", passed=False, reason="expected '138', got 'None'",
                    server_output="crash \x00\x07\x1b[31m red \ufffe\n", duration=2.5),
               test("remove deletes the contact", passed=False, status=res.Status.GRADING_FAILED,
                    reason="grading failed: the worker was killed"),
               test("unicode names 张三", passed=True, bonus=True)])
    oscar = res.AssignmentResult(student="oscar", assignment="", title="nothing graded", tests=[],
                                 error="oscar.zip is not a zip file", status=res.Status.NOT_GRADED)
    return [alice, bob, oscar]


@pytest.fixture(scope="module")
def merged(tmp_path_factory) -> Path:
    """every_kind() written as `grade --json` writes it, then made JUnit by a real `grade merge`."""
    folder = tmp_path_factory.mktemp("junit")
    json_report.write(every_kind(), folder / "results.json")
    proc = grade("merge", folder / "results.json", "--junit", folder / "junit.xml", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr       # 1: bob's test the grader failed
    assert "Traceback" not in proc.stderr
    return folder / "junit.xml"


@pytest.mark.parametrize("schema_name", SCHEMAS)
def test_every_kind_of_result_is_valid(schema_name, schemas, merged):
    xml = merged.read_text(encoding="utf-8")
    assert invalid(schemas[schema_name], xml) == []


def test_what_each_kind_of_result_becomes(merged):
    root = ET.parse(merged).getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["alice / udp-contacts", "bob.smith / udp-contacts", "oscar"]
    alice = suites["alice / udp-contacts"]
    # a bonus not earned is skipped, not failed: a student with every point is a green build
    assert (alice.get("failures"), alice.get("errors"), alice.get("skipped")) == ("0", "0", "1")
    retry = alice.find("testcase[@name='client retries when the reply is lost']")
    skipped = retry.find("skipped")
    assert retry.find("failure") is None and skipped.attrib == {}
    assert skipped.text.startswith("bonus not earned: no retry")
    assert {p.get("name"): p.get("value") for p in alice.iter("property")} == {
        "score": "4", "max_score": "4", "bonus_score": "0", "isolation": "sandbox"}
    assert "Bind UDP on 9999" in alice.find("system-out").text       # what a passing test kept
    # times: at most three decimals, suites and cases
    assert alice.get("time") == "12.346"
    assert [c.get("time") for c in alice.findall("testcase")] == ["0.123", "8.000", "1.000"]
    bob = suites["bob.smith / udp-contacts"]
    assert bob.get("package") == "bob_smith" and bob.find("testcase").get("classname") == "bob_smith.udp-contacts"
    failures = {c.get("name"): c.find("failure") for c in bob.findall("testcase") if c.find("failure") is not None}
    assert failures["find returns the phone"].get("type") == "failed"
    assert failures["remove deletes the contact"].get("type") == "grading failed"
    assert bob.get("failures") == "2" and bob.get("skipped") == "0"
    # bytes XML cannot carry are shown escaped, never dropped or left to break the file
    assert "crash \\x00\\x07\\x1b[31m red \\ufffe" in failures["find returns the phone"].text
    props = {p.get("name"): p.get("value") for p in bob.iter("property")}
    assert props["isolation"] == "netns" and "below full isolation" in props["isolation_warning"]
    oscar = suites["oscar"].find("testcase/failure")
    assert (oscar.get("type"), oscar.get("message")) == ("not graded", "oscar.zip is not a zip file")
    # the timestamp is when the file was written (UTC, without a zone, as junit-4.xsd requires)
    assert len(alice.get("timestamp")) == 19 and alice.get("timestamp")[10] == "T"


def test_stable_junit_has_a_fixed_timestamp_and_host(tmp_path):
    json_report.write(every_kind(), tmp_path / "results.json")
    grade("merge", tmp_path / "results.json", "--stable", "--junit", tmp_path / "a.xml", check=False)
    suite = ET.parse(tmp_path / "a.xml").getroot().find("testsuite")
    assert (suite.get("timestamp"), suite.get("hostname"), suite.get("time")) == \
        ("1970-01-01T00:00:00", "localhost", "0.000")
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}          # the reproducible-builds convention
    subprocess.run([sys.executable, "-m", "grader", "merge", str(tmp_path / "results.json"), "--stable",
                    "--junit", str(tmp_path / "b.xml")], cwd=ROOT, env=env, capture_output=True, check=False)
    assert ET.parse(tmp_path / "b.xml").getroot().find("testsuite").get("timestamp") == "2023-11-14T22:13:20"


@pytest.mark.parametrize("schema_name", SCHEMAS)
def test_the_schemas_reject_what_the_old_writer_wrote(schema_name, schemas, merged):
    """The check has teeth: junit_xml's `disabled` attribute, a fourth decimal, an attribute on
    <testsuites>, a message attribute on <skipped>: at least one schema refuses each, and each schema
    refuses something."""
    xml = merged.read_text(encoding="utf-8")
    assert "<skipped>" in xml
    broken = [xml.replace('<testsuite name="alice', '<testsuite disabled="0" name="alice', 1),
              xml.replace('time="12.346"', 'time="12.3457"', 1),
              xml.replace("<testsuites>", '<testsuites tests="6">', 1),
              xml.replace("<skipped>", '<skipped message="bonus not earned">', 1)]
    refused = [bool(invalid(schemas[schema_name], text)) for text in broken]
    assert refused == {"junit-10.xsd": [True, True, False, False],      # <testsuites> may carry totals
                       "junit-4.xsd": [True, False, True, False],       # its times are any decimal
                       "dtkit-junit-4": [True, False, True, True]}[schema_name]


@pytest.fixture(scope="module")
def alice_junit(tmp_path_factory) -> str:
    """alice graded for real on two tests: her client never resends, so the bonus test fails."""
    folder = tmp_path_factory.mktemp("alice")
    grade(EXAMPLES / "alice", "--spec", "udp-contacts", "-k", "retries", "-k", "binds", "--no-cache",
          "--cache-dir", folder / "cache", "--junit", folder / "junit.xml")
    return (folder / "junit.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("schema_name", SCHEMAS)
def test_a_real_grading_is_valid_and_a_bonus_not_earned_is_no_failure(schema_name, schemas, alice_junit):
    assert invalid(schemas[schema_name], alice_junit) == []
    suite = ET.fromstring(alice_junit).find("testsuite")
    assert [c.get("name") for c in suite.findall("testcase")] == ["server binds UDP 9999",
                                                                  "client retries when the reply is lost"]
    assert (suite.get("failures"), suite.get("skipped")) == ("0", "1")
    assert suite.find("testcase/skipped").text.startswith("bonus not earned: ")
