"""A teacher who is not root: most teachers grade on their own laptop, as an ordinary user, with the
grader installed in a virtualenv of their own made from the machine's Python.

``Teacher.made(wheel)`` makes such a user for the test process: a uid no one else uses, a home of its own
(0700) holding what a teacher's home holds (``~/.ssh``, a shell history, ``~/.config``) with ``SECRET`` in
each, and a virtualenv in that home, made from the machine's Python and owned by the teacher, with the
grader's wheel installed (as ``pip install`` from the package index would) and ``SECRET`` in a 0600 file
inside it too. ``run`` and ``popen`` run ``grade`` as that user, with nothing of root's: no capability, no
supplementary group, an environment of a login's. Everything is removed when the session ends.

The tests that use it (the ``teacher`` fixture) run as root, which makes the user; they are skipped where
the suite itself is not root or the machine has no Python other users can run.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from installs import said, system_python, user_env

UID = 1_900_000        # below the users the grader hands to tests as root (2,000,000 on)
SECRET = "TEACHER-SECRET-5d1c0a"
HOME_FILES = (".ssh/id_ed25519", ".bash_history", ".config/sockgrade-secret/token")


class Teacher:
    def __init__(self, home: Path, uid: int = UID):
        self.uid = uid
        self.home = home
        self.venv = home / "venv"
        self.grade = self.venv / "bin" / "grade"
        self._work = 0

    @classmethod
    @contextlib.contextmanager
    def made(cls, wheel: Path):
        if os.geteuid() != 0:
            pytest.skip("making an ordinary user needs root")
        python = system_python()
        if python is None or not shutil.which("setpriv"):
            pytest.skip("no system python3 >= 3.11 other users can run, or no setpriv")
        # Where homes are: not below pytest's temporary folder, which only root may enter, nor in the
        # temporary folder, which every student program sees replaced by an empty one of its own.
        home = Path(tempfile.mkdtemp(prefix="sockgrade-teacher-", dir="/home" if os.path.isdir("/home") else None))
        try:
            teacher = cls(home, UID + os.getpid() % 50_000)
            teacher._install(python, wheel)
            yield teacher
        finally:
            shutil.rmtree(home, ignore_errors=True)

    def _install(self, python: str, wheel: Path) -> None:
        env = user_env()
        made = subprocess.run([python, "-m", "venv", self.venv], capture_output=True, text=True, env=env)
        assert made.returncode == 0, said(made)
        # Installed by root with root's pip cache (quicker), then handed to the teacher, as if theirs.
        installed = subprocess.run([self.venv / "bin" / "python", "-m", "pip", "install", "-q", wheel],
                                   capture_output=True, text=True, env=env, timeout=600)
        assert installed.returncode == 0, said(installed)
        for name in HOME_FILES + ("venv/secret.txt",):
            path = self.home / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{SECRET} in {name}\n")
            path.chmod(0o600)
        self.give(self.home)
        self.home.chmod(0o700)

    def give(self, path: Path) -> None:
        """``path`` and all below it become the teacher's (links themselves, never their targets)."""
        os.lchown(path, self.uid, self.uid)
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                os.lchown(os.path.join(root, name), self.uid, self.uid)

    def workspace(self) -> Path:
        """A new empty folder of the teacher's, in their home, to copy a class into."""
        self._work += 1
        folder = self.home / "work" / str(self._work)
        folder.mkdir(parents=True)
        self.give(self.home / "work")
        return folder

    def env(self, **extra) -> dict:
        env = {"HOME": str(self.home), "USER": "teacher", "LOGNAME": "teacher", "LANG": "C.UTF-8",
               "PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "VIRTUAL_ENV": str(self.venv),
               "COLUMNS": "200", "TMPDIR": tempfile.gettempdir()}
        return {**env, **extra}

    def argv(self, argv: list) -> list[str]:
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--", str(self.grade), *map(str, argv)]

    def run(self, argv: list, cwd: Path | None = None, timeout: float = 600, **env) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(argv), cwd=cwd or self.home, env=self.env(**env), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    def popen(self, argv: list, cwd: Path | None = None, **env) -> subprocess.Popen:
        """``grade ARGV`` as the teacher, in a session of its own; the caller kills and waits."""
        return subprocess.Popen(self.argv(argv), cwd=cwd or self.home, env=self.env(**env), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

    def python(self, code: str, **env) -> subprocess.CompletedProcess:
        """``code`` run as the teacher with the venv's Python (outside any grading)."""
        argv = self.argv([])[:-1] + [str(self.venv / "bin" / "python"), "-c", code]
        return subprocess.run(argv, cwd=self.home, env=self.env(**env), capture_output=True, text=True, timeout=60)


def leaked(text: str) -> bool:
    return SECRET in text
