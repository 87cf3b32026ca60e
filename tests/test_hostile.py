"""Hostile submissions (tests/hostile/): the grader finishes, scores what the behaviour deserves,
leaves no process and no file behind, never changes the student's folder and shows nobody a secret.

Every case grades a copy of a shipped spec with small limits, written into
``tmp_path`` beside a copy of the reference programs and another student's
folder, each with a secret planted in it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import pytest

from conftest import REFERENCE, SPECS, processes_with  # noqa: F401 (processes_with: test_fairness)
from grader.grading.engine import Engine
from grader.results import Status
from grader.runner import isolation
from grader.specfile import SpecError, load_spec
from hostile_course import HOSTILE, Course, grade_safely, startup_output, why_not

SANDBOX = isolation.available_level() == "sandbox"
# Folders of tests/hostile/ graded elsewhere: the fairness test's helper, the attacks on the isolation
# itself (tests/test_isolation_attacks.py), the generated conversations' oracle (tests/test_oracle_isolation.py).
# homebody, hoards_elsewhere: also graded by a teacher who is not root (tests/test_not_root.py).
GRADED_ELSEWHERE = {"cpu_burner", "forger", "worker_killer", "forkserver_client", "pyc_trick", "oracle_tamper",
                    "homebody", "hoards_elsewhere"}

ECHO_TESTS = [t.name for t in load_spec(SPECS / "udp-echo.yaml").tests]
ECHO_SERVER = [t.name for t in load_spec(SPECS / "udp-echo.yaml").tests if t.side == "server"]
# The hostile contact clients are the course's, which never resend a lost datagram.
CONTACT_TESTS = [t.name for t in load_spec(SPECS / "udp-contacts.yaml").tests
                 if t.name != "client retries when the reply is lost"]


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
    for label in ("../../", "/root/", "checkout", "grader", "/etc/", "/usr/", "specs", "cache"):
        assert f"could not write {label} " in output


def found_nothing(result) -> None:
    output = startup_output(result)
    assert "looked everywhere" in output
    assert "FOUND" not in output and "SAW" not in output


@dataclass
class Case:
    spec: str = "udp-echo"
    passing: list[str] = field(default_factory=list)    # every other test fails
    reasons: dict[str, str] = field(default_factory=dict)   # test name -> part of its reason
    startup_timeout: float = 3
    sandbox_only: bool = False       # needs the process limit or the file system view
    check: Callable | None = None    # more to check on the result
    limits: dict = field(default_factory=dict)    # beyond hostile_course.LIMITS


STARTUP = "server binds UDP 9999"
# Limits that hold for a test as a whole (a cgroup, the student's tmpfs): graded at every level with namespaces.
WHOLE_TEST = {
    # 1.5 GiB of shared memory, which no per-process data limit counts.
    "shm_hog": Case(reasons={STARTUP: "stopped before binding a port: used more than 64 MiB of memory"}),
    "disk_filler": Case(startup_timeout=30, limits={"disk_mib": 4},
                        reasons={STARTUP: "stopped before binding a port: wrote more than 4 MiB of files"}),
    "file_flood": Case(startup_timeout=30, limits={"files": 100},
                       reasons={STARTUP: "stopped before binding a port: created more than 100 files"}),
    # 40 threads' stacks are no memory hog, and 40 threads fit the default processes.
    "thread_happy": Case(passing=ECHO_TESTS, startup_timeout=10, limits={"memory_mib": 256, "processes": 64}),
    "kills_itself": Case(reasons={STARTUP: "was killed (SIGKILL) by something other than the test's limits"}),
}

CASES = {
    **WHOLE_TEST,
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
    result = grade_safely(course, submission, course.spec(case.spec, case.startup_timeout, **case.limits))
    check_case(case, result)


@pytest.mark.parametrize("name", sorted(WHOLE_TEST))
def test_limits_of_the_whole_test_hold_in_the_jail_too(name, tmp_path):
    if why_not("netns"):
        pytest.skip(why_not("netns"))
    case = WHOLE_TEST[name]
    course = Course(tmp_path)
    keep = case.passing[:2] or [STARTUP]
    spec = course.spec(case.spec, case.startup_timeout, only=keep, **case.limits)
    result = grade_safely(course, course.student(name), spec, "netns")
    assert result.isolation == "netns"
    check_case(dataclasses.replace(case, passing=[n for n in case.passing if n in keep]), result)


@pytest.mark.parametrize("name", ["cpu_forever", "memory_hog"])
def test_limits_hold_without_namespaces(name, tmp_path):
    why = why_not("none")
    if why:
        pytest.skip(why)
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
    assert folders - GRADED_ELSEWHERE == set(CASES)
    assert GRADED_ELSEWHERE - folders <= {"oracle_tamper"}     # another engineer's, perhaps not there yet


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
    assert startup.status is Status.NOT_HANDED_IN      # links leading out are left out (grader/files.py)
    assert result.left_out == [f"{name}: a link leading out of the submission (to {course.root}/reference/{ref}) "
                               "was left out" for name, ref in (("contactclientudp.py", "udp_contact_client.py"),
                                                                ("contactserverudp.py", "udp_contact_server.py"))]


def test_the_submission_time_limit_stops_further_tests(tmp_path):
    course = Course(tmp_path)
    spec = course.spec("udp-echo", 2, submission_seconds=1)
    with Engine(jobs=1) as engine:
        result = engine.grade(course.student("never_binds"), spec)
    reasons = [t.reason for t in result.tests if "server" in t.name and "client" not in t.name]
    assert reasons[0].startswith("your server did not bind")
    assert all(r.startswith("not run: the tests of this submission already took 1 s") for r in reasons[1:])
    assert processes_with(course.marker) == []


def test_a_misspelt_limit_is_a_spec_error(tmp_path):
    text = (SPECS / "udp-echo.yaml").read_text().replace("../reference/", f"{REFERENCE}/")
    path = tmp_path / "udp-echo.yaml"
    path.write_text(text + "limits:\n  cpu: 2\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "unknown key 'cpu'" in message and "cpu_seconds" in message
    assert f":{len(text.splitlines()) + 2}:" in message
