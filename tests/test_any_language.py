"""Students in other languages: roles with `build:` and `run:` commands (examples/c-echo), graded for real.

The C students of examples/c-echo are graded as a teacher grades them, at every isolation level
this machine offers, from a copy of the example laid out as a teacher's folder (closed to other
users) with a secret planted in the spec, the reference programs, the cache and another student's
work: the correct server scores full marks, the serial one fails the concurrency tests, the one
that does not compile fails every test with gcc's own words, and the hostile one, which tries to
read the reference (at build time too) and the cache and to write outside its folder, gets
nothing and the verdicts of a correct server.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, loopback_lock, python_for
from grader.grading import api
from grader.results import Cause, Status, Why
from grader.specfile import load_spec
from grader.spec.errors import SpecError
from hostile_course import LEVELS, PLANTED_ENTRY, fingerprint, why_not

EXAMPLE = ROOT / "examples" / "c-echo"
GCC = shutil.which("gcc")
JAVA = shutil.which("javac") and shutil.which("java")
needs_gcc = pytest.mark.skipif(not GCC, reason="gcc is not installed: the C examples cannot be built")
needs_java = pytest.mark.skipif(not JAVA, reason="javac and java are not installed: the Java example cannot be built")

CONCURRENCY = {"a second client is served while the first stays connected", "ten clients at once"}
CLIENT_TESTS = {"client sends message1..message5 and exit", "student client with student server"}
ALL_TESTS = {"server listens on TCP 9999", "Welcome! then Received <data>;", "exit closes the connection",
             "a client that disconnects does not stop the server", "reference client with your server",
             *CONCURRENCY, *CLIENT_TESTS}
# student -> (score with bonus, max score, the tests it fails)
EXPECTED = {
    "correct": (15, 13, set()),
    "serial": (8, 13, CONCURRENCY | CLIENT_TESTS),
    "broken": (0, 13, ALL_TESTS),
    "hostile": (13, 13, CLIENT_TESTS),
}


class Course:
    """A copy of examples/c-echo as a teacher's folder (closed to other users), the C students as a
    class, a result cache, and a secret in every file no student may read."""

    def __init__(self, root: Path):
        self.root = root
        root.chmod(0o700)
        self.secret = "SECRET-" + root.name
        self.example = root / "c-echo"
        shutil.copytree(EXAMPLE, self.example, ignore=shutil.ignore_patterns("students"))
        for source in (self.example / "c-echo-reference").glob("*.c"):
            source.write_text(source.read_text() + f"/* {self.secret} */\n")
        spec = self.example / "c-echo.yaml"
        spec.write_text(f"# {self.secret}\n" + spec.read_text(encoding="utf-8"), encoding="utf-8")
        self.spec = load_spec(spec)
        self.cache = root / "cache"
        self.cache.mkdir()
        (self.cache / PLANTED_ENTRY).write_text(json.dumps({"leak": self.secret}))
        self.students = root / "class"
        shutil.copytree(EXAMPLE / "students", self.students)
        correct = self.students / "correct" / "server.c"
        correct.write_text(correct.read_text() + f"/* {self.secret} */\n")
        self.writes = [root / "hostile-was-here", self.example / "c-echo-reference" / "hostile-was-here",
                       self.cache / "hostile-was-here", self.students / "hostile-was-here",
                       self.students / "hostile" / "hostile-was-here"]
        self.reference = self.example / "c-echo-reference" / "server.c"
        self.reads = [self.reference, spec, self.reference.parent, self.cache, self.cache / PLANTED_ENTRY, correct]

    def aim(self, probe_at_build: bool) -> None:
        """Point the hostile student at this course's files. At build time it probes the reference
        with ``__has_include``, which gcc turns into a fatal "Permission denied" where the file exists
        but may not be read (level none): there the probe is off (see test_at_level_none...)."""
        (self.students / "hostile" / "targets.h").write_text(
            f'#define REFERENCE_SOURCE "{self.reference}"\n'
            f"#define PROBE_AT_BUILD {int(probe_at_build)}\n"
            f"#define READ_TARGETS {{{', '.join(json.dumps(str(p)) for p in self.reads)}, NULL}}\n"
            f"#define WRITE_TARGETS {{{', '.join(json.dumps(str(p)) for p in self.writes)}, NULL}}\n")

    def fingerprints(self) -> dict:
        return {**fingerprint(self.example), **fingerprint(self.students)}

    def grade(self, level: str, **options) -> dict:
        with loopback_lock(level):
            run = api.grade_class(self.students, specs=[str(self.spec.source)], isolation=level,
                                  python=python_for(level), cache_dir=str(self.cache), regrade=True, **options)
        return {r.student: r for r in run.results}


@pytest.fixture
def course(tmp_path):
    return Course(tmp_path)


def details(result) -> dict:
    return {t.name: (t.status, t.reason) for t in result.tests}


@needs_gcc
@pytest.mark.parametrize("level", LEVELS)
def test_the_c_class_at_each_level(course, level):
    """One grading of the class per level (a grading takes seconds), checked three ways below."""
    if why := why_not(level):
        pytest.skip(why)
    course.aim(probe_at_build=level != "none")
    before = course.fingerprints()
    results = course.grade(level)
    assert set(results) == set(EXPECTED)
    assert all(r.isolation == level for r in results.values())
    students_graded_as_their_programs_deserve(results)
    build_failure_quotes_gcc(results["broken"])
    hostile_got_nothing(course, results["hostile"], probed_at_build=level != "none")
    # Nothing was built or written in the teacher's folders (references are built in the engine's own),
    # nor in the students' folders.
    assert course.fingerprints() == before
    every_result = json.dumps([r.to_dict() for r in results.values()], ensure_ascii=False)
    assert course.secret not in every_result
    kept = [p.read_text() for p in course.cache.glob("*.json") if p.name != PLANTED_ENTRY]
    assert kept and not [text for text in kept if course.secret in text]


def students_graded_as_their_programs_deserve(results) -> None:
    for student, (score, max_score, failing) in EXPECTED.items():
        result = results[student]
        assert not [t.reason for t in result.tests if t.status is Status.GRADING_FAILED], details(result)
        assert {t.name for t in result.tests if not t.passed} == failing, (student, details(result))
        assert (result.score, result.max_score) == (score, max_score), (student, details(result))
    serial = {t.name: t for t in results["serial"].tests}
    assert serial["a second client is served while the first stays connected"].cause == Why(Cause.NO_REPLY)


def build_failure_quotes_gcc(broken) -> None:
    """Each test that needed the server says the build failed, with gcc's first error, once."""
    for test in broken.tests:
        if test.name in CLIENT_TESTS:
            assert test.cause == Why(Cause.NOT_HANDED_IN, detail="client.c")
            continue
        assert (test.cause.kind, test.cause.role, test.cause.code) == (Cause.BUILD_FAILED, "server", 1)
        assert test.reason.startswith("building your server failed: `gcc -O2 -Wall -pthread -o server server.c` "
                                      "exited with code 1: server.c:7:5: error: expected"), test.reason
        assert "before ‘printf’" in test.reason or "before 'printf'" in test.reason, test.reason
        assert test.reason.count("error:") == 1 and len(test.reason) < 700, test.reason
        assert "error: expected" in test.server_output     # the whole message, where the output shows
        assert "sockgrade-" not in test.reason + test.server_output      # no path of the grader's


def hostile_got_nothing(course: Course, hostile, probed_at_build: bool) -> None:
    printed = next(t for t in hostile.tests if t.name == "server listens on TCP 9999").server_output
    at_build = "nothing from" if probed_at_build else "no look at"
    assert f"{at_build} the reference source at build time" in printed, printed
    for path in course.reads:
        assert f"nothing from {path}: " in printed, printed
    for path in course.writes:
        assert f"nothing written to {path}: " in printed, printed
    assert [line for line in printed.splitlines() if line.startswith(("GOT", "WROTE"))] == [], printed
    assert [p for p in course.writes if p.exists()] == []


@needs_gcc
def test_at_level_none_a_build_that_includes_the_reference_reads_nothing(course):
    """Level none has only permissions: the teacher's folder is closed, so the compiler, run as the
    student's own user, may not open the reference (and says so, failing the student's build)."""
    if why := why_not("none"):
        pytest.skip(why)
    course.aim(probe_at_build=True)
    results = course.grade("none", students=["hostile"], tests=["server listens on TCP 9999"])
    (test,) = [t for t in results["hostile"].tests if t.name == "server listens on TCP 9999"]
    assert not test.passed and test.status is not Status.GRADING_FAILED
    assert (test.cause.kind, test.cause.role) == (Cause.BUILD_FAILED, "server")
    assert "Permission denied" in test.cause.detail and test.cause.detail in test.reason
    assert course.secret not in json.dumps(results["hostile"].to_dict(), ensure_ascii=False)


@needs_gcc
def test_grade_check_passes_for_the_c_spec():
    done = subprocess.run([sys.executable, "-m", "grader", "check", str(EXAMPLE / "c-echo.yaml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    out = " ".join(done.stdout.split())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the reference programs score full marks: 13 / 13 (+2 bonus)" in out
    assert "READY: the reference passes every test and every saboteur is caught" in out
    assert "PASSED" not in out


@needs_gcc
def test_a_saboteur_plays_a_c_role_as_the_python_program_it_is(tmp_path):
    from grader.grading.check import saboteur_spec, saboteur_submission
    from grader.grading.engine import Engine
    from grader.saboteurs import SABOTEURS
    spec = load_spec(EXAMPLE / "c-echo.yaml")
    silent = next(s for s in SABOTEURS if s.name == "silent server")
    tests = tuple(t for t in spec.tests if t.name == "exit closes the connection")
    folder = saboteur_submission(spec, silent, "server", tmp_path / "silent")
    with Engine(isolation="best") as engine:
        result = engine.grade(folder, saboteur_spec(spec, "server", tests))
    (test,) = result.tests
    notes = [e["data"] for e in test.transcript]
    assert not test.passed and test.cause == Why(Cause.NO_REPLY), test.reason
    assert "started your server" in notes and not [n for n in notes if n.startswith("building your")], notes


@needs_java
@pytest.mark.parametrize("level", LEVELS)
def test_a_java_student_is_compiled_and_graded(level):
    if why := why_not(level):
        pytest.skip(why)
    # Two tests: a JVM takes seconds to start; the second records the reference's answer (built with javac too).
    tests = ["server listens on TCP 9999", "Welcome! then Received <data>;"]
    with loopback_lock(level):
        run = api.grade_class(EXAMPLE / "java-student", specs=[str(EXAMPLE / "java-echo.yaml")],
                              isolation=level, python=python_for(level), use_cache=False, tests=tests)
    (result,) = run.results
    assert (result.score, result.max_score) == (5, 5), details(result)
    notes = [e["data"] for e in result.tests[0].transcript]
    assert "building your server: javac -J-Xmx128m Server.java" in notes


def _spec(tmp_path: Path, role: dict, name: str = "spec.yaml") -> Path:
    reference = tmp_path / "server.c"
    shutil.copy(EXAMPLE / "c-echo-reference" / "server.c", reference)
    data = {"id": "c", "transport": "tcp",
            "roles": {"server": {"files": ["server.c"], "reference": "server.c", **role}},
            "tests": [{"name": "binds", "tags": ["startup"], "startup": True}]}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize("role, key, at, message", [
    ({"build": "gcc -o server server.c", "run": ["./server"]}, "roles.server.build", "build:",
     "'gcc -o server server.c' should be of type array"),
    ({"build": ["gcc", "-o", "server", "${files}"], "run": ["./server"]}, "roles.server.build[3]", "${files}",
     "${files} is not a variable of a command"),
    ({"build": ["gcc", "-o", "server", "${file}"]}, "roles.server.build", "build:",
     "a role with `build` needs `run`"),
    ({"build": ["", "x"], "run": ["./server"]}, "roles.server.build[0]", "- ''", "the program of `build` is empty"),
    ({"run": ["./server"], "build_timeout": 5}, "roles.server.build_timeout", "build_timeout:",
     "`build_timeout` without `build`"),
])
def test_a_bad_command_is_a_spec_error_at_its_line(tmp_path, role, key, at, message):
    path = _spec(tmp_path, role)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    where = f"{path}:{_line_of(path, at)}: {key}: "
    assert str(caught.value).startswith(where + message), (str(caught.value), path.read_text())
    done = subprocess.run([sys.executable, "-m", "grader", "check", str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 2 and f"spec error: {where}" in done.stderr, done.stderr


def test_a_command_as_a_string_is_told_to_be_a_list(tmp_path):
    path = _spec(tmp_path, {"build": "gcc -o server server.c", "run": ["./server"]})
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert 'write a command as a list, one item per argument: [gcc, -o, server, "${file}"]' in str(caught.value)


def _grade_one(tmp_path: Path, role: dict) -> list:
    spec = _spec(tmp_path, role)
    student = tmp_path / "student"
    student.mkdir()
    shutil.copy(EXAMPLE / "students" / "correct" / "server.c", student / "server.c")
    run = api.grade_class(student, specs=[str(spec)], isolation="best", use_cache=False)
    return run.results[0].tests


@needs_gcc
def test_a_build_that_runs_too_long_is_stopped_with_its_time_limit(tmp_path):
    (test,) = _grade_one(tmp_path, {"build": ["sh", "-c", "sleep 60"], "build_timeout": 1, "run": ["./server"]})
    assert not test.passed and test.status is not Status.GRADING_FAILED
    # No exit code: out of time. (What the build printed before it was stopped, if anything, is its detail.)
    assert (test.cause.kind, test.cause.role, test.cause.code) == (Cause.BUILD_FAILED, "server", None), test.reason


def test_a_compiler_missing_from_the_machine_is_the_graders_failure_not_the_students(tmp_path):
    (test,) = _grade_one(tmp_path, {"build": ["no-such-compiler-sockgrade", "${file}"], "run": ["./server"]})
    assert test.status is Status.GRADING_FAILED and not test.passed and test.points == 0
    assert test.reason.startswith("grading failed: ") and "no-such-compiler-sockgrade is not installed" in test.reason


def test_a_toolchain_outside_the_system_folders_is_reachable_in_the_sandbox_and_no_more(tmp_path, monkeypatch):
    """A language's runtime installed in a folder of its own (as a JDK in /opt), with a configuration
    file it links to elsewhere (as a JVM's conf/ in /etc): the sandbox shows the installation and that
    file, read-only, and not the file's neighbours."""
    if why := why_not("sandbox"):
        pytest.skip(why)
    elsewhere = tmp_path / "etc-of-the-tool"
    elsewhere.mkdir()
    (elsewhere / "greeting").write_text("hello\n")
    (elsewhere / "neighbour").write_text("not for students\n")
    tool = tmp_path / "opt" / "tool"
    (tool / "bin").mkdir(parents=True)
    (tool / "conf").mkdir()
    (tool / "conf" / "greeting").symlink_to(elsewhere / "greeting")
    runner = tool / "bin" / "sockgrade-test-runner"
    runner.write_text("#!/bin/sh\n"
                      'here="$(dirname "$0")"\n'
                      'read greeting < "$here/../conf/greeting" || exit 3\n'
                      f'[ -e "{elsewhere / "neighbour"}" ] && exit 4\n'
                      f'touch "{tool}/written" 2>/dev/null && exit 5\n'
                      f'exec {sys.executable} -u "$1"\n')
    runner.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tool / 'bin'}:{os.environ['PATH']}")
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "reference" / "tcp_echo_server.py", course / "server.py")
    spec = course / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "id": "tool", "transport": "tcp",
        "roles": {"server": {"files": ["server.py"], "reference": "server.py",
                             "run": ["sockgrade-test-runner", "${file}"]}},
        "tests": [{"name": "binds", "tags": ["startup"], "startup": True},
                  {"name": "welcome", "tags": ["protocol"], "steps": [{"expect": "Welcome!"}]}]}))
    student = tmp_path / "class" / "student"
    student.mkdir(parents=True)
    shutil.copy(ROOT / "reference" / "tcp_echo_server.py", student / "server.py")
    run = api.grade_class(student, specs=[str(spec)], isolation="sandbox", use_cache=False)
    (result,) = run.results
    assert (result.score, result.max_score) == (2, 2), details(result)
    assert not (tool / "written").exists()
