"""A limit names itself: when a test's programs together reach its process, memory, disk or file-count
limit, every test lost because of it says which limit, its value, and that the student's own programs
used it up, never a sandbox's or kernel's error text alone (hostile programs of tests/hostile/)."""
from __future__ import annotations

import pytest

from grader.results import Cause, Status
from grader.runner import cgroups, isolation
from hostile_course import Course, grade_safely

SANDBOX = isolation.available_level() == "sandbox"
GROUPS = cgroups.detect()[0] is not None

# folder: (the limit, its value, the limits it is graded with beyond hostile_course.LIMITS)
CLASS = {
    "forks_then_serves": ("processes", 8, {}),
    "fork_bomb": ("processes", 8, {}),
    "shm_hog": ("memory_mib", 64, {}),
    "disk_filler": ("disk_mib", 4, {"disk_mib": 4}),
    "file_flood": ("files", 100, {"files": 100}),
}
WORDS = {
    # counted for the test as a whole ("your programs together ...") where a control group counts them
    "processes": "reached the test's limit of 8 processes and threads",
    # the clients of these folders (not forks_then_serves') hoard memory: their tests are lost to that limit
    "memory_mib": "your programs together reached the test's limit of 64 MiB of memory, shared memory included",
    "disk_mib": "your programs together filled the test's 4 MiB of disk",
    "files": "your programs together reached the test's limit of 100 files",
}


@pytest.mark.skipif(not (SANDBOX and GROUPS), reason="needs the sandbox and control groups for the test as a whole")
@pytest.mark.parametrize("name", sorted(CLASS))
def test_every_test_lost_to_a_limit_names_it(name, tmp_path):
    limit, value, limits = CLASS[name]
    course = Course(tmp_path)
    result = grade_safely(course, course.student(name), course.spec("udp-echo", 20, **limits))
    lost = [t for t in result.tests if t.status is Status.FAILED]
    for test in lost:
        assert test.cause.kind is Cause.LIMIT, (test.name, test.reason)
        assert WORDS[test.cause.limit] in test.reason, (test.name, test.reason)
    assert (limit, value) in {(t.cause.limit, t.cause.value) for t in lost}


@pytest.mark.skipif(not (SANDBOX and GROUPS), reason="needs the sandbox and control groups for the test as a whole")
def test_a_client_that_cannot_start_reads_who_used_the_processes_up(tmp_path):
    course = Course(tmp_path)
    result = grade_safely(course, course.student("forks_then_serves"), course.spec("udp-echo", 20))
    tests = {t.name: t for t in result.tests}
    both = tests["student client with student server"]
    assert not both.passed
    assert both.cause.role == "client"
    assert "your server was running" in both.reason and "of them" in both.reason
    # its server answers rightly, and its client does with the reference server
    assert tests["server binds UDP 9999"].passed
    assert tests["client sends message1..message5 and prints the replies"].passed
