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
from grader.results import Cause, Status, Why
from grader.runner import isolation
from grader.specfile import SpecError, load_spec
from hostile_course import HOSTILE, Course, grade_safely, startup_output, why_not

SANDBOX = isolation.available_level() == "sandbox"
# Folders of tests/hostile/ graded elsewhere: the fairness test's helper, the attacks on the isolation
# itself (tests/test_isolation_attacks.py), the generated conversations' oracle (tests/test_oracle_isolation.py).
# homebody, hoards_elsewhere: also graded by a teacher who is not root (tests/test_not_root.py).
# forks_then_serves: by tests/test_limit_names.py, with the other programs that reach a limit of the whole test.
GRADED_ELSEWHERE = {"cpu_burner", "forger", "worker_killer", "forkserver_client", "pyc_trick", "oracle_tamper",
                    "homebody", "hoards_elsewhere", "forks_then_serves"}

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
    # test name -> why it failed: the whole cause, or its kind alone where the rest is the student's file's
    causes: dict[str, Why | Cause] = field(default_factory=dict)
    startup_timeout: float = 3
    sandbox_only: bool = False       # needs the process limit or the file system view
    check: Callable | None = None    # more to check on the result
    limits: dict = field(default_factory=dict)    # beyond hostile_course.LIMITS


def limit(name: str, value: int, role: str = "server") -> Why:
    return Why(Cause.LIMIT, role=role, limit=name, value=value)


STARTUP = "server binds UDP 9999"
CLIENT = "client sends message1..message5 and prints the replies"
# Limits that hold for a test as a whole (a cgroup, the student's tmpfs): graded at every level with namespaces.
WHOLE_TEST = {
    # 1.5 GiB of shared memory, which no per-process data limit counts.
    "shm_hog": Case(causes={STARTUP: limit("memory_mib", 64)}),
    "disk_filler": Case(startup_timeout=30, limits={"disk_mib": 4}, causes={STARTUP: limit("disk_mib", 4)}),
    "file_flood": Case(startup_timeout=30, limits={"files": 100}, causes={STARTUP: limit("files", 100)}),
    # 40 threads' stacks are no memory hog, and 40 threads fit the default processes.
    "thread_happy": Case(passing=ECHO_TESTS, startup_timeout=10, limits={"memory_mib": 256, "processes": 64}),
    "kills_itself": Case(causes={STARTUP: Why(Cause.KILLED, role="server")}),
}

CASES = {
    **WHOLE_TEST,
    "never_binds": Case(causes={STARTUP: Why(Cause.DID_NOT_BIND, role="server", transport="udp", port=9999)}),
    "exits_at_once": Case(causes={STARTUP: Why(Cause.EXITED_EARLY, role="server", code=0)}),
    "raises_at_import": Case(causes={STARTUP: Cause.CRASHED}),
    "python2": Case(causes={STARTUP: Cause.CRASHED}),
    # Long timeouts, so that the limit, not the wait, ends these tests on a busy machine.
    "cpu_forever": Case(startup_timeout=30, causes={STARTUP: limit("cpu_seconds", 1),
                                                    CLIENT: limit("cpu_seconds", 1, "client")}),
    "memory_hog": Case(causes={STARTUP: limit("memory_mib", 64), CLIENT: limit("memory_mib", 64, "client")}),
    "fork_bomb": Case(sandbox_only=True, startup_timeout=20, causes={STARTUP: limit("processes", 8)}),
    "big_file": Case(causes={STARTUP: limit("file_size_mib", 1)}),
    "many_files": Case(causes={STARTUP: limit("open_files", 64)}),
    "prints_megabytes": Case(passing=ECHO_TESTS, startup_timeout=10, check=output_is_capped),
    "binary_garbage": Case(passing=ECHO_TESTS, startup_timeout=10, check=no_terminal_control),
    "closes_stdout": Case(passing=ECHO_SERVER, startup_timeout=10),
    "writes_outside": Case(passing=ECHO_TESTS, startup_timeout=10, sandbox_only=True, check=writes_failed),
    "spy": Case(spec="udp-contacts", passing=CONTACT_TESTS, startup_timeout=10, sandbox_only=True,
                check=found_nothing),
    "wrong_port": Case(passing=[n for n in ECHO_SERVER if n != STARTUP], startup_timeout=10,
                       causes={STARTUP: Why(Cause.WRONG_PORT, role="server", transport="udp", port=9998)}),
    "tcp_instead_of_udp": Case(startup_timeout=10, causes={
        STARTUP: Why(Cause.WRONG_TRANSPORT, role="server", transport="udp", detail="TCP 127.0.0.1:9999")}),
}


def has_cause(test, expected: Why | Cause) -> bool:
    return (test.cause.kind if isinstance(expected, Cause) else test.cause) == expected


def check_case(case: Case, result) -> None:
    tests = {t.name: t for t in result.tests}
    assert {n for n, t in tests.items() if t.passed} == set(case.passing), \
        {n: t.reason for n, t in tests.items()}
    for name, cause in case.causes.items():
        assert has_cause(tests[name], cause), (tests[name].cause, tests[name].reason)
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
    keep = [STARTUP, CLIENT]
    spec = course.spec(case.spec, case.startup_timeout, only=keep)
    result = grade_safely(course, course.student(name), spec, "none")
    assert result.isolation == "none"
    tests = {t.name: t for t in result.tests}
    assert result.score == 0 and set(tests) == set(keep)
    for name in keep:
        assert has_cause(tests[name], case.causes[name]), (tests[name].cause, tests[name].reason)


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
    kinds = [t.cause.kind for t in result.tests if "server" in t.name and "client" not in t.name]
    assert kinds[0] is Cause.DID_NOT_BIND and set(kinds[1:]) == {Cause.NOT_RUN}
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
