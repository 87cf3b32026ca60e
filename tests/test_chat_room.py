"""The chat-room example (examples/chat-room): `grade check` finds its spec ready, and each example student
passes and fails exactly the tests examples/chat-room/EXPECTED.md says, through real `grade` processes.

The spec is written with the step forms `sleep`, `use` ... `with`, `close: reset` and `expect` ... `skip`."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT

EXAMPLE = ROOT / "examples" / "chat-room"
SPEC = EXAMPLE / "chat-room.yaml"
STUDENTS = ("correct", "echoing", "serial", "crash_on_reset")


def grade(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)


def expected_table() -> dict:
    """EXPECTED.md's table: ``passes`` {student: {test name: passes}}, ``points`` {test name: points},
    ``scores`` {student: score} and ``maximum``."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in (EXAMPLE / "EXPECTED.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("|") and not line.startswith("| ---")]
    header, *body = rows
    assert header[:2] == ["test", "points"]
    students = header[2:]
    table = {"passes": {student: {} for student in students}, "points": {}}
    for name, points, *cells in body:
        if name == "score":
            table["maximum"] = float(points)
            table["scores"] = {student: float(cell) for student, cell in zip(students, cells)}
            continue
        assert all(cell in ("pass", "FAIL") for cell in cells), (name, cells)
        table["points"][name] = float(points)
        for student, cell in zip(students, cells):
            table["passes"][student][name] = cell == "pass"
    return table


def test_expected_md_adds_up():
    table = expected_table()
    assert set(table["passes"]) == set(STUDENTS)
    assert sum(table["points"].values()) == table["maximum"]
    for student in STUDENTS:
        earned = sum(table["points"][name] for name, ok in table["passes"][student].items() if ok)
        assert earned == table["scores"][student], student


def test_the_spec_is_ready():
    proc = grade("check", SPEC, "--strict")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "READY" in proc.stdout, proc.stdout


@pytest.mark.parametrize("student", STUDENTS)
def test_each_student_passes_what_expected_md_says(student, tmp_path):
    table = expected_table()
    passes = table["passes"][student]
    proc = grade(EXAMPLE / "students" / student, "--spec", SPEC, "--json", "-", "--cache-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    [record] = json.loads(proc.stdout)
    assert (record["student"], record["assignment"]) == (student, "chat-room")
    tests = {t["name"]: t for t in record["tests"]}
    reasons = {name: t["extra_data"]["reason"] for name, t in tests.items()}
    assert {name: t["status"] == "passed" for name, t in tests.items()} == passes, reasons
    for name, ok in passes.items():
        assert ok or reasons[name], name           # every failure says why
    assert (record["score"], record["max_score"]) == (table["scores"][student], table["maximum"])
    swarm = tests["four clients in the room at once"]["extra_data"]["metrics"]
    # The serial server holds its first client while the other three wait; the others have all four in.
    assert swarm.get("served_at_once") == (1 if student == "serial" else 4), swarm


def test_a_reset_ends_the_whole_crash_on_reset_server(tmp_path):
    proc = grade(EXAMPLE / "students" / "crash_on_reset", "--spec", SPEC, "--json", "-", "--cache-dir", tmp_path,
                 "--test", "a client that resets its connection does not stop the room")
    assert proc.returncode == 0, proc.stderr
    [record] = json.loads(proc.stdout)
    [test] = record["tests"]
    assert test["status"] == "failed"
    # os._exit(0) on the reset: the server stopped, as the JSON says for a teacher's script
    assert test["extra_data"]["cause"] == {"kind": "exited", "role": "server", "code": 0}, test["extra_data"]["reason"]
