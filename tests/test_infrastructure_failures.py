"""Failures of the grader or the machine are never a student's grade: "grading failed", never cached."""
from __future__ import annotations

import socket

import pytest

from conftest import EXAMPLES, SPECS, loopback_lock, python_for
from grader.grading import api
from grader.results import Status
from grader.runner import isolation


@pytest.mark.skipif("none" not in isolation.available_levels(python_for("none")),
                    reason="level none is not available here")
def test_a_port_taken_outside_the_test_is_not_the_students_zero(tmp_path):
    cache = tmp_path / "cache"
    with loopback_lock("none"), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", 9999))          # another program of the machine holds the port
        run = api.grade_class(EXAMPLES / "alice", specs=[str(SPECS / "udp-echo.yaml")], isolation="none",
                              python=python_for("none"), cache_dir=str(cache), tests=["server binds UDP 9999"])
    (result,) = run.results
    (test,) = result.tests
    assert test.status is Status.GRADING_FAILED and not test.passed
    assert "UDP port 9999 is taken by another program on this machine" in test.reason
    assert not list(cache.glob("*.json"))                   # never kept: the next run grades again
