"""Attacks on the isolation itself, at every level the machine grades at (sandbox, netns, none).

Each hostile submission (tests/hostile/, see its README) reads from probe.json
where the course's files, the cache, another test's copy and the fork servers
are, and the secret planted in each; it never hard-codes where our checkout
lives. Each is graded as a teacher grades, through ``api.grade_class`` with a
result cache, and must not get:

- a grade it did not earn: an outcome forged into its worker's output, or a
  worker it killed, gives "grading failed", never a pass, never a cache entry;
- a look at what it must not see: the secret (in the spec, the reference, the
  other student's folder, a cache entry, another test's copy, the grader's
  environment), or a listing of the folders hidden at this level;
- a file written where the level protects, a process left behind, a change
  of the student's own folder;
- the fork server: it cannot even connect to one;
- a doctored ``__pycache__`` graded in place of its sources, or into the grade
  of a student who handed in the same sources.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import py_compile
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.grading import api
from grader.grading.engine import Engine
from grader.runner import isolation
from hostile_course import (HOSTILE, PLANTED_ENTRY, Course, fingerprint, loopback_lock, python_for,
                            level, startup_output, why_not)  # noqa: F401 (level: a fixture)

ECHO = ["server binds UDP 9999", "server keeps answering after many datagrams"]
CONTACTS = ["server binds UDP 9999", "find of an unknown name says Not found"]
PYC_TESTS = ["server binds UDP 9999", "find returns the phone", "remove deletes the contact",
             "find of an unknown name says Not found"]
# What a student program may not list, by level (the labels of Course.hidden(), and "temp": the
# temporary folder, with every other test's copy and the fork server's socket). At level none only
# permissions protect: the course's folders (closed to other users), the cache, another test's copy.
HIDDEN_AT = {
    "sandbox": {"specs", "reference", "shipped specs", "shipped reference", "class", "other student", "cache",
                "another test's copy", "temp"},
    "netns": {"specs", "reference", "shipped specs", "shipped reference", "class", "other student", "cache",
              "another test's copy", "temp"},
    "none": {"specs", "reference", "class", "other student", "cache", "another test's copy"},
}
# Where a program may leave a file outside its folder: at netns the jail gives each program world-writable
# folders of its own; level none has only the machine's.
WRITABLE_AT = {"sandbox": (), "netns": (),
               "none": ("/var/tmp", "/dev/shm", tempfile.gettempdir())}


@pytest.fixture
def course(tmp_path):
    course = Course(tmp_path, outside=True)
    yield course
    course.clean_up()
    course.close()


def grade(course: Course, path: Path, spec, level: str, *, cache_dir: Path | None = None,
          grader_errors: bool = False):
    """Grade ``path`` (a student or a class) as a teacher would, and check what must hold whatever it did."""
    before = fingerprint(path)
    try:
        with loopback_lock(level):
            run = api.grade_class(path, specs=[str(spec.source)], isolation=level, python=python_for(level),
                                  cache_dir=str(cache_dir or course.cache))
    finally:
        left, written = course.clean_up()
    tests = summary(run)
    assert all(r.isolation == level for r in run.results), [(r.student, r.isolation) for r in run.results]
    assert not [r.error for r in run.results if r.error]
    if not grader_errors:
        assert not [t.reason for r in run.results for t in r.tests if t.grading_failed], tests
    for result in run.results:
        for test in result.tests:
            if test.grading_failed:
                assert test.reason.startswith("grading failed") and not test.passed and test.points == 0, tests
    assert left == [], f"processes left running; the tests: {tests}"
    assert fingerprint(path) == before, "the student's folder was changed"
    allowed = tuple(os.path.join(folder, "") for folder in WRITABLE_AT[level])
    assert [w for w in written if not w.startswith(allowed)] == [], f"files left outside; the tests: {tests}"
    leaks = [(r.student, t.name, line) for r in run.results for t in r.tests
             for line in (t.server_output + "\n" + t.client_output + "\n" + t.reason).splitlines()
             if course.secret in line]
    assert leaks == [] and course.secret not in json.dumps([r.to_dict() for r in run.results], ensure_ascii=False)
    return run


def summary(run) -> dict:
    """Each test's verdict, reason and notes, to say what happened when a check fails."""
    return {f"{r.student}: {t.name}": (t.status.value, t.reason, t.notes)
            for r in run.results for t in r.tests}


def cache_entries(folder: Path) -> dict[str, dict]:
    """The results kept in the cache folder (the entry the course planted left out)."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")
            if p.name != PLANTED_ENTRY}


def failed_to_grade(run) -> bool:
    return any(t.grading_failed for r in run.results for t in r.tests)


def test_a_forged_outcome_never_passes_nor_is_cached(level, course):
    spec = course.spec("udp-echo", 2, only=ECHO)
    submission = course.student("forger")
    runs = [grade(course, submission, spec, level, grader_errors=True) for _ in range(2)]
    for run in runs:
        (result,) = run.results
        details = {t.name: (t.passed, t.reason, t.notes) for t in result.tests}
        assert [t.name for t in result.tests if t.passed] == [], details
        assert result.score == 0, details
        assert not any("forged" in note for t in result.tests for note in t.notes), details
    if failed_to_grade(runs[0]):
        assert runs[1].cached == 0, "a result in which grading failed came from the cache"
    for name, entry in cache_entries(course.cache).items():
        tests = entry.get("tests", [])
        assert not [t["name"] for t in tests if t.get("status") == "passed"], f"cache entry {name} passes"
        assert "forged" not in json.dumps(entry), f"cache entry {name} holds the forged outcome"


def test_a_killed_worker_gives_grading_failed_never_a_pass(level, course):
    spec = course.spec("udp-echo", 3, only=ECHO)
    submission = course.student("worker_killer")
    for _ in range(2):
        kept = cache_entries(course.cache)
        run = grade(course, submission, spec, level, grader_errors=True)
        (result,) = run.results
        for test in result.tests:
            if test.passed:        # only where the worker survived to see it: honestly, with its conversation
                assert test.name == "server binds UDP 9999" or test.transcript, test
                assert not test.grading_failed
        if failed_to_grade(run):
            assert run.cached == 0 and cache_entries(course.cache) == kept, \
                "a result in which grading failed was cached, or came from the cache"
        else:       # the worker was out of its reach: a right server, graded as one
            assert result.score == result.max_score, {t.name: t.reason for t in result.tests}


def test_a_spy_finds_no_secret_and_lists_no_hidden_folder(level, course, monkeypatch):
    monkeypatch.setenv("SOCKGRADE_TEST_SECRET", course.secret)     # the grader's environment, before its Engine
    spec = course.spec("udp-contacts", 10, only=CONTACTS, cpu_seconds=5)
    submission = course.student("spy")
    (submission / "secret_link").symlink_to(course.other / "contactserverudp.py")
    run = grade(course, submission, spec, level)
    (result,) = run.results
    output = startup_output(result)
    assert "looked everywhere" in output, output
    found = [line for line in output.splitlines() if line.startswith("FOUND")]
    assert found == [], "it found the secret"
    saw = [line for line in output.splitlines() if line.startswith("SAW")
           and line.split(" /")[0][len("SAW "):] in HIDDEN_AT[level]]
    assert saw == [], f"it listed folders hidden at level {level}"
    assert result.score == result.max_score, {t.name: t.reason for t in result.tests}


def test_writes_outside_land_nowhere_the_level_protects(level, course):
    spec = course.spec("udp-echo", 10, only=ECHO)
    submission = course.student("writes_outside")
    run = grade(course, submission, spec, level)     # checks that nothing was written where it may not be
    (result,) = run.results
    output = startup_output(result)
    for label in ["../../", "/root/", "/etc/", "/usr/", "checkout", "grader", "temp", *course.hidden()]:
        assert f"could not write {label} " in output or f"wrote {label} " in output, \
            f"it did not try {label}: {output}"
    assert result.score == result.max_score, {t.name: t.reason for t in result.tests}


def test_no_program_reaches_a_fork_server(level, course):
    # Another engine's fork server, as another test or another teacher's grading would have one.
    namespaced = [lv for lv in ("sandbox", "netns") if not why_not(lv)]
    with Engine(isolation=namespaced[0]) if namespaced else contextlib.nullcontext() as other:
        decoy = getattr(getattr(other, "_fork_server", None), "path", None)
        decoys = [decoy] if decoy else []
        spec = course.spec("udp-echo", 10, only=ECHO)
        submission = course.student("forkserver_client", forkservers=decoys)
        run = grade(course, submission, spec, level)
    (result,) = run.results
    output = startup_output(result)
    assert "tried every socket" in output, output
    managed = [line for line in output.splitlines() if not line.startswith(("could not connect", "tried", "Bind"))]
    assert managed == [], output
    for path in decoys:
        assert f"could not connect {path} " in output, output
    assert result.score == result.max_score, {t.name: t.reason for t in result.tests}


def doctor(student: Path, wrong_source: Path, module: str) -> None:
    """Give ``student`` a __pycache__ byte code of ``wrong_source`` that CPython takes for ``module``.py's:
    stamped with the right source's modification time and size (the time set to a whole second)."""
    source = student / f"{module}.py"
    stamp = 1_700_000_000
    os.utime(source, (stamp, stamp))
    pyc = student / "__pycache__" / f"{module}.{sys.implementation.cache_tag}.pyc"
    pyc.parent.mkdir()
    py_compile.compile(str(wrong_source), cfile=str(pyc), doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    data = bytearray(pyc.read_bytes())
    assert data[:4] == importlib.util.MAGIC_NUMBER and data[4:8] == b"\0\0\0\0"
    data[8:16] = struct.pack("<II", stamp, source.stat().st_size & 0xFFFFFFFF)
    pyc.write_bytes(bytes(data))


def runs_doctored(student: Path, scratch: Path) -> str:
    """What the student's contacts_logic answers when Python runs a copy of its folder."""
    copy = scratch / "run"
    shutil.copytree(student, copy)          # as the worker copies: modification times kept
    done = subprocess.run([sys.executable, "-c", "from contacts_logic import handle; print(handle({}, 'find;x'))"],
                          cwd=copy, capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1"})
    shutil.rmtree(copy)
    return done.stdout.strip()


def test_a_doctored_pycache_is_not_what_is_graded(level, course, tmp_path):
    spec = course.spec("udp-contacts", 5, only=PYC_TESTS)
    files = ("contactserverudp.py", "contacts_logic.py")
    solo, both = tmp_path / "solo", tmp_path / "both"
    for folder in (solo / "trick", both / "honest", both / "trick"):
        folder.mkdir(parents=True)
        for name in files:
            shutil.copy(HOSTILE / "pyc_trick" / name, folder / name)
        os.utime(folder / "contacts_logic.py", (1_700_000_000, 1_700_000_000))
        if folder.name == "trick":
            doctor(folder, HOSTILE / "pyc_trick" / "doctored" / "contacts_logic.py", "contacts_logic")
    # The trick works: CPython runs the doctored byte code in place of the right source.
    assert runs_doctored(both / "trick", tmp_path).startswith("doctored byte code")
    assert runs_doctored(both / "honest", tmp_path) == "Not found"

    cache_dir = tmp_path / "cache"
    first = grade(course, solo, spec, level, cache_dir=cache_dir)          # trick graded first, alone
    (trick,) = first.results
    assert trick.score == trick.max_score, {t.name: t.reason for t in trick.tests}
    second = grade(course, both, spec, level, cache_dir=cache_dir)         # then the class, same cache
    scores = {r.student: r.score for r in second.results}
    assert scores == {"honest": trick.max_score, "trick": trick.max_score}, \
        {r.student: {t.name: t.reason for t in r.tests} for r in second.results}


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI is not set")
def test_ci_grades_at_full_isolation():
    assert isolation.available_level() == "sandbox", isolation.detect()[1]
