"""Hostile submissions (tests/hostile/): the grader finishes, scores what the behaviour deserves,
leaves no process and no file behind, never changes the student's folder and shows nobody a secret.

Every case grades a copy of a shipped spec with small limits, written into
``tmp_path`` beside a copy of the reference programs and another student's
folder, each with a secret planted in it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from conftest import EXAMPLES, REFERENCE, ROOT, SPECS, processes_with
from grader.engine import Engine
from grader.runner import isolation
from grader.spec import SpecError, load_spec

HOSTILE = Path(__file__).resolve().parent / "hostile"
SANDBOX = isolation.available_level() == "sandbox"
LIMITS = {"cpu_seconds": 1, "memory_mib": 64, "processes": 8, "file_size_mib": 1, "open_files": 64,
          "submission_seconds": 120}

ECHO_TESTS = [t.name for t in load_spec(SPECS / "udp-echo.yaml").tests]
ECHO_SERVER = [t.name for t in load_spec(SPECS / "udp-echo.yaml").tests if t.side == "server"]
# The hostile contact clients are the course's, which never resend a lost datagram.
CONTACT_TESTS = [t.name for t in load_spec(SPECS / "udp-contacts.yaml").tests
                 if t.name != "client retries when the reply is lost"]


def startup_output(result) -> str:
    return next(t for t in result.tests if t.name == "server binds UDP 9999").server_output


def output_is_capped(result) -> None:
    output = startup_output(result)
    assert "more bytes not kept: output is kept up to 256 KiB" in output
    assert len(output) < 300 * 1024


def no_terminal_control(result) -> None:
    outputs = [t.server_output for t in result.tests]
    assert any("\\x1b[2J" in out for out in outputs)           # shown escaped
    assert not any(c in out for out in outputs for c in "\x1b\x07\x08\x00\r")


def writes_failed(result) -> None:
    output = startup_output(result)
    for target in ("../../", "/root/", "/work/", "/etc/", "/usr/"):
        assert f"could not write {target}" in output


def found_nothing(result) -> None:
    output = startup_output(result)
    assert "looked everywhere" in output
    assert "FOUND" not in output


@dataclass
class Case:
    spec: str = "udp-echo"
    passing: list[str] = field(default_factory=list)    # every other test fails
    reasons: dict[str, str] = field(default_factory=dict)   # test name -> part of its reason
    startup_timeout: float = 3
    sandbox_only: bool = False       # needs the process limit or the file system view
    check: Callable | None = None    # more to check on the result


CASES = {
    "never_binds": Case(reasons={"server binds UDP 9999": "did not bind UDP port 9999 within 3 s"}),
    "exits_at_once": Case(reasons={"server binds UDP 9999": "exited (code 0) before binding a port"}),
    "raises_at_import": Case(reasons={"server binds UDP 9999": "ModuleNotFoundError: No module named 'udphelpers'"}),
    "python2": Case(reasons={"server binds UDP 9999": "Python 2"}),
    # Long timeouts, so that the limit, not the wait, ends these tests on a busy machine.
    "cpu_forever": Case(startup_timeout=30, reasons={
        "server binds UDP 9999": "your server stopped before binding a port: used more than 1 s of CPU time",
        "client sends message1..message5 and prints the replies":
            "the client stopped: used more than 1 s of CPU time"}),
    "memory_hog": Case(reasons={
        "server binds UDP 9999": "your server stopped before binding a port: used more than 64 MiB of memory",
        "client sends message1..message5 and prints the replies":
            "the client stopped: used more than 64 MiB of memory"}),
    "fork_bomb": Case(sandbox_only=True, startup_timeout=20, reasons={
        "server binds UDP 9999": "stopped before binding a port: tried to start more than 8 processes"}),
    "big_file": Case(reasons={
        "server binds UDP 9999": "your server stopped before binding a port: tried to write a file larger than 1 MiB"}),
    "many_files": Case(reasons={
        "server binds UDP 9999": "stopped before binding a port: opened more than 64 files and sockets at once"}),
    "prints_megabytes": Case(passing=ECHO_TESTS, startup_timeout=10, check=output_is_capped),
    "binary_garbage": Case(passing=ECHO_TESTS, startup_timeout=10, check=no_terminal_control),
    "closes_stdout": Case(passing=ECHO_SERVER, startup_timeout=10),
    "writes_outside": Case(passing=ECHO_TESTS, startup_timeout=10, sandbox_only=True, check=writes_failed),
    "spy": Case(spec="udp-contacts", passing=CONTACT_TESTS, startup_timeout=10, sandbox_only=True,
                check=found_nothing),
    "wrong_port": Case(passing=[n for n in ECHO_SERVER if n != "server binds UDP 9999"], startup_timeout=10,
                       reasons={"server binds UDP 9999": "bound UDP port 9998, the assignment asks for 9999"}),
    "tcp_instead_of_udp": Case(startup_timeout=10, reasons={
        "server binds UDP 9999": "your server listens on TCP 127.0.0.1:9999, this assignment needs UDP"}),
}


def fingerprint(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: a file's mode and content hash, a link's target."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            if path.is_symlink():
                found[str(path)] = "link " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = f"{st.st_mode:o} " + hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[str(path)] = f"{st.st_mode:o} dir"
    return found


def files_named(marker: str, *folders: Path) -> list[str]:
    """Entries whose name holds ``marker``, directly in ``folders`` (and anywhere under the first)."""
    hits = [str(p) for p in folders[0].rglob(f"*{marker}*")]
    for folder in folders[1:]:
        try:
            hits += [str(folder / n) for n in os.listdir(folder) if marker in n]
        except OSError:
            pass
    return hits


class Course:
    """A tmp_path laid out like a teacher's machine, with a secret in every file no student may read."""

    def __init__(self, root: Path):
        self.root = root
        self.secret = "SECRET-" + uuid.uuid4().hex
        self.marker = "sockgrade-hostile-" + uuid.uuid4().hex
        (root / "reference").mkdir()
        for ref in REFERENCE.glob("*.py"):
            (root / "reference" / ref.name).write_text(ref.read_text() + f"\n# {self.secret}\n")
        (root / "specs").mkdir()
        other = root / "class" / "other-student"
        other.mkdir(parents=True)
        (other / "contactserverudp.py").write_text(f"# {self.secret}\n")
        (root / "out").mkdir()
        (root / "out" / "results.json").write_text(json.dumps({"leak": self.secret}))

    def spec(self, spec_id: str, startup_timeout: float, only: list[str] | None = None, **limits):
        data = yaml.safe_load((SPECS / f"{spec_id}.yaml").read_text())
        data["tests"] = [t for t in data["tests"] if only is None or t["name"] in only]
        for role in data["roles"].values():
            role["reference"] = str(self.root / "reference" / Path(role["reference"]).name)
        data["defaults"] = {**data.get("defaults", {}), "startup_timeout": startup_timeout,
                            "client_timeout": max(10, startup_timeout)}
        data["limits"] = {**LIMITS, **limits}
        path = self.root / "specs" / f"{spec_id}.yaml"
        path.write_text(f"# {self.secret}\n" + yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return load_spec(path)

    def student(self, name: str) -> Path:
        folder = self.root / "class" / name
        shutil.copytree(HOSTILE / name, folder, symlinks=True)
        for path in folder.rglob("*.py"):
            path.write_text(path.read_text().replace("HOSTILE-MARKER", self.marker))
        return folder


def grade_safely(course: Course, submission: Path, spec, level: str | None = None):
    """Grade and check everything that must hold whatever the submission does; return the result."""
    before = fingerprint(submission)
    with Engine(isolation=level) as engine:
        result = engine.grade(submission, spec)
    assert not [t.reason for t in result.tests if t.grader_error]
    assert processes_with(course.marker) == []
    assert fingerprint(submission) == before
    assert files_named(course.marker, course.root, course.root.parent, Path("/tmp"), Path("/"),
                       Path.home(), Path("/var/tmp"), Path("/dev/shm")) == []
    assert course.secret not in json.dumps(result.to_dict(), ensure_ascii=False)
    return result


def check_case(case: Case, result) -> None:
    tests = {t.name: t for t in result.tests}
    assert {n for n, t in tests.items() if t.passed} == set(case.passing), \
        {n: t.reason for n, t in tests.items()}
    for name, reason in case.reasons.items():
        assert reason in tests[name].reason
    assert result.score == sum(t.max_points for t in result.tests if t.name in case.passing)
    if case.check:
        case.check(result)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_submission(name, tmp_path):
    case = CASES[name]
    if case.sandbox_only and not SANDBOX:
        pytest.skip("needs the sandbox (bubblewrap), not available here")
    course = Course(tmp_path)
    submission = course.student(name)
    if name == "spy":    # a link to another student's file, read inside the sandbox
        (submission / "secret_link").symlink_to(course.root / "class" / "other-student" / "contactserverudp.py")
    result = grade_safely(course, submission, course.spec(case.spec, case.startup_timeout))
    check_case(case, result)


@pytest.mark.parametrize("name", ["cpu_forever", "memory_hog"])
def test_limits_hold_without_namespaces(name, tmp_path):
    course = Course(tmp_path)
    case = CASES[name]
    keep = ["server binds UDP 9999", "client sends message1..message5 and prints the replies"]
    spec = course.spec(case.spec, case.startup_timeout, only=keep)
    result = grade_safely(course, course.student(name), spec, "none")
    assert result.isolation == "none"
    tests = {t.name: t for t in result.tests}
    assert result.score == 0 and set(tests) == set(keep)
    for name in keep:
        assert case.reasons[name] in tests[name].reason


def test_every_hostile_folder_has_a_case():
    folders = {p.name for p in HOSTILE.iterdir() if p.is_dir()}
    assert folders == set(CASES) | {"cpu_burner"}


@pytest.mark.skipif(not SANDBOX, reason="needs the sandbox (bubblewrap)")
def test_a_link_to_the_reference_runs_nothing(tmp_path):
    course = Course(tmp_path)
    submission = course.root / "class" / "linker"
    submission.mkdir()
    (submission / "contactserverudp.py").symlink_to(course.root / "reference" / "udp_contact_server.py")
    (submission / "contactclientudp.py").symlink_to(course.root / "reference" / "udp_contact_client.py")
    result = grade_safely(course, submission, course.spec("udp-contacts", 3))
    assert result.score == 0
    startup = next(t for t in result.tests if t.name == "server binds UDP 9999")
    assert "before binding a port" in startup.reason and "No such file" in startup.reason


def test_the_submission_time_limit_stops_further_tests(tmp_path):
    course = Course(tmp_path)
    spec = course.spec("udp-echo", 2, submission_seconds=1)
    with Engine(jobs=1) as engine:
        result = engine.grade(course.student("never_binds"), spec)
    reasons = [t.reason for t in result.tests if "server" in t.name and "client" not in t.name]
    assert reasons[0].startswith("your server did not bind")
    assert all(r.startswith("not run: the tests of this submission already took 1 s") for r in reasons[1:])
    assert processes_with(course.marker) == []


def test_strict_refuses_to_grade_without_full_isolation(tmp_path):
    env = {**os.environ, "SOCKGRADE_ISOLATION": "none", "COLUMNS": "300"}
    done = subprocess.run([sys.executable, "-m", "grader", str(EXAMPLES / "alice"), "--isolation", "strict",
                           "--json", str(tmp_path / "out.json")],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    assert done.returncode == 2
    assert done.stdout.strip().splitlines() == [
        "error no full isolation here (SOCKGRADE_ISOLATION=none is set); see 'Full isolation' in the README"]
    assert not (tmp_path / "out.json").exists()


@pytest.mark.skipif(not SANDBOX, reason="needs the sandbox (bubblewrap)")
def test_strict_grades_in_the_sandbox():
    with Engine(isolation="strict") as engine:
        assert engine.isolation == "sandbox"


def test_a_misspelt_limit_is_a_spec_error(tmp_path):
    text = (SPECS / "udp-echo.yaml").read_text().replace("../reference/", f"{REFERENCE}/")
    path = tmp_path / "udp-echo.yaml"
    path.write_text(text + "limits:\n  cpu: 2\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "unknown key 'cpu'" in message and "cpu_seconds" in message
    assert f":{len(text.splitlines()) + 2}:" in message
