"""Installing the grader as a user does, for the tests that need an install of their own: the wheel built
from the repository's tracked files, an environment without our checkout or virtualenv on it, and the
machine's own Python."""
from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INSTALL_TIMEOUT = 600      # a safety net for a hung download, not a measure


def run(argv: list, cwd: Path, env: dict, timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def said(proc: subprocess.CompletedProcess) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"


def user_env(**extra) -> dict:
    """The environment of a user outside the checkout: no virtualenv of ours on the PATH, no PYTHONPATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE")}
    ours = {Path(sys.prefix).resolve(), ROOT.resolve()}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not any(Path(p).resolve().is_relative_to(o) for o in ours))
    env["COLUMNS"] = "200"          # the whole table, assignment ids unshortened
    # pip's cache where the user has it: conftest moves XDG_CACHE_HOME, where pip looks, into tmp, and a
    # cold cache triples an install's time (45 s against 16 s here).
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    return {**env, **extra}


def shared_wheel(tmp_path_factory) -> Path:
    """``python -m build`` on a copy of the tracked files: the sdist, then the wheel built from it. Built
    once for the session's test processes (pytest-xdist), in the folder they share."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        dist = shared / "wheel-dist"
        if not list(dist.glob("sockgrade-*.whl")):
            build_wheel(shared / "wheel-source", dist)
    wheels = list(dist.glob("sockgrade-*.whl"))
    assert len(wheels) == 1, sorted(p.name for p in dist.iterdir())
    return wheels[0]


def build_wheel(source: Path, dist: Path) -> None:
    shutil.rmtree(source, ignore_errors=True)
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():             # not deleted in the work tree
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name, follow_symlinks=False)
    built = run([sys.executable, "-m", "build", "--outdir", dist, source], cwd=source, env=user_env())
    assert built.returncode == 0, said(built)


def system_python() -> str | None:
    """A Python >= 3.11 of the machine's own, outside any virtualenv: where ``pip install --user`` goes."""
    for python in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(python):
            version = subprocess.run([python, "-c", "import sys; print(sys.version_info >= (3, 11))"],
                                     capture_output=True, text=True)
            if version.stdout.strip() == "True":
                return python
    return None
