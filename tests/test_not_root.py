"""A teacher who is not root is as safe as root (tests/teacher.py makes one).

At every level the machine offers, graded by an ordinary user with the grader in a virtualenv of their
own home: a student program sees nothing of that home, cannot write into the virtualenv or leave anything
the teacher will run, and its memory (shared memory included) and processes are bounded. A level that
cannot promise that to the user running it is refused with the reason.
"""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from hostile_course import Course, fingerprint
from teacher import SECRET

STARTUP = "server binds UDP 9999"


def levels_for_teacher(teacher) -> list[str]:
    """The levels the teacher's grader finds here, best first."""
    done = teacher.python("from grader.runner import isolation; print(' '.join(isolation.available_levels()))")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.fixture
def course(teacher):
    folder = teacher.workspace()
    made = Course(folder)
    yield made
    made.close()


def grade_as(teacher, course, student: str, level: str, only: list[str], **limits) -> dict:
    """Grade ``student`` (of tests/hostile) as the teacher; the JSON record of its one assignment."""
    course.spec("udp-echo", 30, only=only, **limits)
    submission = course.student(student, teacher_home=str(teacher.home), teacher_venv=str(teacher.venv))
    out = course.root / "out" / "result.json"
    teacher.give(course.root)
    done = teacher.run([submission, "--spec", course.root / "specs" / "udp-echo.yaml", "--isolation", level,
                        "--json", out, "--no-cache"], cwd=course.root)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    assert SECRET not in done.stdout + done.stderr
    assert SECRET not in out.read_text()
    [record] = json.loads(out.read_text())
    return record


def results_of(record: dict) -> dict:
    """Test name -> its result as the teacher reads it (passed, reason, server_output, ...)."""
    return {t["name"]: {**t["extra_data"], "passed": t["status"] == "passed"} for t in record["tests"]}


def home_state(teacher) -> dict:
    """The teacher's home as a student program could change it; the grader's own cache left aside."""
    return {path: what for path, what in fingerprint(teacher.home).items()
            if not path.startswith((str(teacher.home / ".cache"), str(teacher.home / "work")))}


@pytest.mark.parametrize("level", ["sandbox", "netns"])
def test_a_student_sees_nothing_of_the_teachers_home_and_leaves_nothing_to_run(teacher, course, level):
    if level not in levels_for_teacher(teacher):
        pytest.skip(f"level {level} is not available to an ordinary user here")
    before = home_state(teacher)
    record = grade_as(teacher, course, "homebody", level, only=[STARTUP], cpu_seconds=30)
    test = results_of(record)[STARTUP]
    assert test["passed"], test
    output = test["server_output"]
    assert "Bind UDP on 9999" in output
    assert "FOUND" not in output, output
    assert home_state(teacher) == before          # what it wrote, if anything, was in its own view
    # What the teacher runs next runs nothing a student left.
    assert teacher.run(["--help"]).returncode == 0
    assert not list(teacher.home.glob("ran-*")), "code a student left ran as the teacher"


# The limits an ordinary user's grader could not set before: 1.5 GiB of shared memory, a fork bomb.
STOPPED_BY = {"shm_hog": ("memory_mib", 64), "fork_bomb": ("processes", 8)}


@pytest.mark.parametrize("level", ["sandbox", "netns"])
@pytest.mark.parametrize("student", sorted(STOPPED_BY))
def test_a_limit_holds_for_an_ordinary_user(teacher, course, level, student):
    if level not in levels_for_teacher(teacher):
        pytest.skip(f"level {level} is not available to an ordinary user here")
    test = results_of(grade_as(teacher, course, student, level, only=[STARTUP]))[STARTUP]
    assert not test["passed"]
    limit, value = STOPPED_BY[student]
    assert test["cause"] == {"kind": "limit", "role": "server", "limit": limit, "value": value}, test["reason"]


def test_level_none_is_refused_to_an_ordinary_user(teacher, course):
    course.spec("udp-echo", 3, only=[STARTUP])
    submission = course.student("homebody", teacher_home=str(teacher.home), teacher_venv=str(teacher.venv))
    teacher.give(course.root)
    done = teacher.run([submission, "--spec", course.root / "specs" / "udp-echo.yaml", "--isolation", "none"],
                       cwd=course.root)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "level 'none'" in done.stderr and "your own user" in done.stderr, done.stderr
    assert not (course.root / "class" / "homebody" / "made").exists()


def test_the_environment_of_a_student_program_is_the_graders_own_at_every_level(teacher, course):
    """PATH of the system's folders and the runtime, HOME its own folder, nothing of the teacher's."""
    for level in levels_for_teacher(teacher):
        folder = course.root / "class" / f"env-{level}"
        folder.mkdir(parents=True)
        (folder / "serverudp.py").write_text(
            "import json, os, socket\nprint('ENV', json.dumps(dict(os.environ)))\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('127.0.0.1', 9999))\n"
            "while True:\n    d, a = s.recvfrom(1024)\n    s.sendto(b'Hello, ' + d + b'!', a)\n")
        course.spec("udp-echo", 10, only=[STARTUP])
        out = course.root / "out" / f"env-{level}.json"
        teacher.give(course.root)
        done = teacher.run([folder, "--spec", course.root / "specs" / "udp-echo.yaml", "--isolation", level,
                            "--json", out, "--no-cache"], cwd=course.root, SOCKGRADE_TEST_LEAK="leak")
        assert done.returncode == 0, done.stdout + done.stderr
        output = results_of(json.loads(out.read_text())[0])[STARTUP]["server_output"]
        env = json.loads(output.split("ENV ", 1)[1].splitlines()[0])
        assert "SOCKGRADE_TEST_LEAK" not in env and "VIRTUAL_ENV" not in env, env
        assert not env["HOME"].startswith(str(teacher.home)), env
        for folder_ in env["PATH"].split(":"):
            assert not folder_.startswith(str(teacher.home)) or folder_ == str(teacher.venv / "bin"), env["PATH"]


def test_the_user_registry_made_by_another_user_is_refused(tmp_path):
    """As root, the lock files that hand each test a user of its own live in a folder only root writes:
    one that another user made first, or a link, is refused with one line."""
    if os.geteuid() != 0:
        pytest.skip("the registry is root's")
    from conftest import EXAMPLES
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    tmp.chmod(0o1777)
    registry = tmp / "sockgrade-users"
    registry.mkdir()
    os.chown(registry, 12345, 12345)
    env = {**os.environ, "TMPDIR": str(tmp)}
    done = subprocess.run(["grade", EXAMPLES / "alice", "--test", "server binds UDP 9999", "--no-cache"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "sockgrade-users" in done.stderr and "another user" in done.stderr
    registry.rmdir()
    registry.symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").mkdir()
    done = subprocess.run(["grade", EXAMPLES / "alice", "--test", "server binds UDP 9999", "--no-cache"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2 and "link" in done.stderr, done.stderr
    assert not list((tmp_path / "elsewhere").iterdir())


def test_the_environment_of_a_student_program_is_the_graders_own_as_root(tmp_path):
    """Root's PATH (a pyenv's shims, a cargo folder) and variables reach no student program, at any level."""
    if os.geteuid() != 0:
        pytest.skip("the grader runs as root here")
    import sys
    from hostile_course import available_levels
    for level in [lv for lv in available_levels() if lv != "none"]:       # none: the grader's Python only
        folder = tmp_path / f"env-{level}"
        folder.mkdir()
        (folder / "serverudp.py").write_text(
            "import json, os, socket\nprint('ENV', json.dumps(dict(os.environ)))\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('127.0.0.1', 9999))\n"
            "while True:\n    d, a = s.recvfrom(1024)\n    s.sendto(b'Hello, ' + d + b'!', a)\n")
        out = tmp_path / f"{level}.json"
        cargo = os.path.join(os.path.expanduser("~"), ".cargo", "bin")       # a toolchain of root's own
        env = {**os.environ, "SOCKGRADE_TEST_LEAK": "leak",
               "PATH": f"{cargo}:{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
        done = subprocess.run([sys.executable, "-m", "grader", folder, "--spec", "udp-echo", "--test", STARTUP,
                               "--isolation", level, "--json", out, "--no-cache"],
                              capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        output = results_of(json.loads(out.read_text())[0])[STARTUP]["server_output"]
        program_env = json.loads(output.split("ENV ", 1)[1].splitlines()[0])
        assert "SOCKGRADE_TEST_LEAK" not in program_env, program_env
        assert cargo not in program_env["PATH"] and "shims" not in program_env["PATH"], program_env


def held_within_the_limit(test: dict, limit_mib: int = 64) -> None:
    """Stopped by a limit of the test (its memory; or its processes, when a child could not even start),
    or still holding no more than the limit (the kernel or the worker stopped each child that took more):
    never 1 GiB of children, segments or files kept."""
    if not test["passed"]:
        cause = test["cause"]
        assert (cause["kind"], cause["role"]) == ("limit", "server"), test["reason"]
        assert cause["limit"] in ("memory_mib", "processes"), test["reason"]
        assert cause["limit"] != "memory_mib" or cause["value"] == limit_mib, test["reason"]
        return
    said = [line for line in test["server_output"].splitlines() if line.startswith("still holding")]
    assert said and int(said[0].split()[2]) <= limit_mib, test["server_output"]


@pytest.mark.parametrize("level", ["sandbox", "netns"])
def test_memory_held_elsewhere_is_bounded_for_an_ordinary_user(teacher, course, level):
    if level not in levels_for_teacher(teacher):
        pytest.skip(f"level {level} is not available to an ordinary user here")
    record = grade_as(teacher, course, "hoards_elsewhere", level, only=[STARTUP])
    held_within_the_limit(results_of(record)[STARTUP])


@pytest.mark.parametrize("level", ["sandbox", "netns"])
def test_memory_held_elsewhere_is_bounded_as_root(tmp_path, level):
    from hostile_course import grade_safely, why_not
    if why_not(level):
        pytest.skip(why_not(level))
    course = Course(tmp_path)
    spec = course.spec("udp-echo", 30, only=[STARTUP])
    result = grade_safely(course, course.student("hoards_elsewhere"), spec, level)
    [test] = result.tests
    held_within_the_limit({"passed": test.passed, "reason": test.reason, "server_output": test.server_output,
                           "cause": test.cause.to_dict() if test.cause else None})
