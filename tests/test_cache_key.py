"""The cache key of an assignment built with ``build:`` covers its compiler's and runtime's versions:
a new compiler may judge the same code otherwise, so its results are not reused."""
from __future__ import annotations

import os
import stat

import pytest

from grader.grading import cache
from grader.specfile import load_spec

SPEC = """\
id: built
transport: tcp
roles:
  server:
    files: [server.c]
    build: [fakecc, -o, server, "${file}"]
    run: [fakerun, ./server]
    reference: ref/server.c
tests:
  - name: binds
    tags: [startup]
    startup: true
"""


@pytest.fixture
def toolchain(tmp_path, monkeypatch):
    """fakecc and fakerun on PATH, each saying the version written in its VERSION file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("fakecc", "fakerun"):
        (bin_dir / f"{tool}.VERSION").write_text(f"{tool} 1.0\n")
        script = bin_dir / tool
        script.write_text(f"#!/bin/sh\n[ \"$1\" = --version ] && cat {bin_dir}/{tool}.VERSION && exit 0\nexit 1\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    cache._version.cache_clear()
    yield bin_dir
    cache._version.cache_clear()


def key(tmp_path):
    (tmp_path / "ref").mkdir(exist_ok=True)
    (tmp_path / "ref" / "server.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "spec.yaml").write_text(SPEC)
    submission = tmp_path / "student"
    submission.mkdir(exist_ok=True)
    (submission / "server.c").write_text("int main(void) { return 1; }\n")
    cache._version.cache_clear()
    return cache.ResultCache(None).key(submission, load_spec(tmp_path / "spec.yaml"), "sandbox")


@pytest.mark.parametrize("tool", ["fakecc", "fakerun"])
def test_a_new_compiler_or_runtime_changes_the_key(tmp_path, toolchain, tool):
    before = key(tmp_path)
    assert key(tmp_path) == before                      # the same versions: the same key
    (toolchain / f"{tool}.VERSION").write_text(f"{tool} 2.0\n")
    assert key(tmp_path) != before


def test_a_python_assignment_asks_no_program_its_version():
    assert cache.toolchain_digest(()) == ""
