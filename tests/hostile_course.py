"""The teacher's machine the hostile submissions (tests/hostile/) are graded on, and what must hold
whatever they do. Used by tests/test_hostile.py and tests/test_isolation_attacks.py.

A ``Course`` lays out ``tmp_path`` as a teacher's folder: a copy of a shipped
spec with small limits, a copy of the reference programs, another student's
folder and a results file, each with a secret planted in it. A hostile program
learns where all these are at run time from ``probe.json``, which the course
writes into every student's folder: it never hard-codes where our checkout
lives.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import REFERENCE, ROOT, SPECS, loopback_lock, processes_with, python_for
from grader.grading.engine import Engine
from grader.runner import isolation
from grader.specfile import load_spec

HOSTILE = Path(__file__).resolve().parent / "hostile"
LIMITS = {"cpu_seconds": 1, "memory_mib": 64, "processes": 8, "file_size_mib": 1, "open_files": 64,
          "submission_seconds": 120}
LEVELS = ("sandbox", "netns", "none")       # best first
PLANTED_ENTRY = "0" * 64 + ".json"          # a cache entry's name, holding the secret


def available_levels() -> list[str]:
    """The levels this machine grades at, best first."""
    return [level for level in LEVELS if level in isolation.available_levels(python_for(level))]


def why_not(level: str) -> str | None:
    """Why grading at ``level`` cannot be tested here, or None when it can."""
    if level not in isolation.available_levels(python_for(level)):
        why = (isolation.none_problem(python_for(level)) if level == "none" else "") or isolation.detect()[1]
        return f"isolation level {level} is not available here: {why or 'the machine allows less'}"
    if level == "none" and os.geteuid() != 0:
        return ("level none protects the machine only when the grader is root (student programs then run "
                "as a user of their own); the grader runs as uid %d here" % os.geteuid())
    return None


@pytest.fixture(params=LEVELS)
def level(request):
    """Each level this machine grades at, best first; the others skipped with the reason."""
    why = why_not(request.param)
    if why:
        pytest.skip(why)
    return request.param


def startup_output(result) -> str:
    return next(t for t in result.tests if t.name == "server binds UDP 9999").server_output


def fingerprint(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: a file's mode and content hash, a link's target."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            st = path.lstat()
            if path.is_symlink():
                found[str(path)] = "link " + os.readlink(path)
            elif path.is_file():
                found[str(path)] = f"{st.st_mode:o} " + hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[str(path)] = f"{st.st_mode:o} dir"
    return found


def files_named(marker: str, *folders: Path) -> list[str]:
    """Entries whose name holds ``marker``, directly in ``folders`` (and anywhere under the first)."""
    hits = [str(p) for p in folders[0].rglob(f"*{marker}*")]
    for folder in folders[1:]:
        try:
            hits += [str(folder / n) for n in os.listdir(folder) if marker in n]
        except OSError:
            pass
    return sorted(set(hits))


class Course:
    """A tmp_path laid out like a teacher's machine, with a secret in every file no student may read.

    ``outside``: the result cache and another test's private copy lie where they
    would on a real machine, outside ``tmp_path`` (a cache folder other users can
    list, as older versions left it; a ``sockgrade-*`` folder in the temporary
    folder); ``close()`` removes them.
    """

    def __init__(self, root: Path, outside: bool = False):
        self.root = root
        self.secret = "SECRET-" + uuid.uuid4().hex
        self.marker = "sockgrade-hostile-" + uuid.uuid4().hex
        # A teacher's folder, closed to other users (as pytest's own base folder is): at level none only
        # permissions protect it.
        root.chmod(0o700)
        (root / "reference").mkdir()
        for ref in REFERENCE.glob("*.py"):
            (root / "reference" / ref.name).write_text(ref.read_text() + f"\n# {self.secret}\n")
        (root / "specs").mkdir()
        self.other = root / "class" / "other-student"
        self.other.mkdir(parents=True)
        (self.other / "contactserverudp.py").write_text(f"# {self.secret}\n")
        (root / "out").mkdir()
        (root / "out" / "results.json").write_text(json.dumps({"leak": self.secret}))
        self._outside: list[Path] = []
        if outside:
            base = "/var/tmp" if os.path.isdir("/var/tmp") else None
            self.cache = Path(tempfile.mkdtemp(prefix="pytest-sockgrade-cache-", dir=base))
            self.cache.chmod(0o755)
            self.other_copy = Path(tempfile.mkdtemp(prefix="sockgrade-"))     # 0700, as a worker's copy
            self._outside += [self.cache, self.other_copy]
        else:
            self.cache = root / "cache"
            self.other_copy = root / "other-copy"
            self.cache.mkdir()
            self.other_copy.mkdir()
        entry = self.cache / PLANTED_ENTRY
        entry.write_text(json.dumps({"leak": self.secret}))
        entry.chmod(0o600)                    # as the grader writes its entries
        (self.other_copy / "contactserverudp.py").write_text(f"# {self.secret}\n")

    def close(self) -> None:
        for folder in self._outside:
            shutil.rmtree(folder, ignore_errors=True)

    def hidden(self) -> dict[str, str]:
        """The folders no student program may list, by the names the hostile programs print."""
        return {"specs": str(self.root / "specs"), "reference": str(self.root / "reference"),
                "shipped specs": str(SPECS), "shipped reference": str(REFERENCE),
                "class": str(self.other.parent), "other student": str(self.other),
                "cache": str(self.cache), "another test's copy": str(self.other_copy)}

    def probe(self, **more) -> dict:
        """What a hostile program reads from probe.json: where to look, and the secret to look for.

        ``fence_pid`` and ``grader_pid_ns`` are the test's safety fence: a program that kills or
        writes into other processes does so, in the grader's own PID namespace (level none), only
        to this test's processes (those below ``fence_pid``), never to the machine's.
        """
        return {"secret": self.secret, "checkout": str(ROOT), "grader": str(ROOT / "grader"),
                "temp": tempfile.gettempdir(), "hidden": self.hidden(), "forkservers": [],
                "fence_pid": os.getpid(), "grader_pid_ns": os.readlink("/proc/self/ns/pid"), **more}

    def spec(self, spec_id: str, startup_timeout: float, only: list[str] | None = None, **limits):
        data = yaml.safe_load((SPECS / f"{spec_id}.yaml").read_text())
        data["tests"] = [t for t in data["tests"] if only is None or t["name"] in only]
        for role in data["roles"].values():
            role["reference"] = str(self.root / "reference" / Path(role["reference"]).name)
        data["defaults"] = {**data.get("defaults", {}), "startup_timeout": startup_timeout,
                            "client_timeout": max(10, startup_timeout)}
        data["limits"] = {**LIMITS, **limits}
        path = self.root / "specs" / f"{spec_id}.yaml"
        path.write_text(f"# {self.secret}\n" + yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return load_spec(path)

    def student(self, name: str, **probe) -> Path:
        """A copy of tests/hostile/NAME in the class, with this course's marker and a probe.json."""
        folder = self.root / "class" / name
        shutil.copytree(HOSTILE / name, folder, symlinks=True)
        for path in folder.rglob("*.py"):
            path.write_text(path.read_text().replace("HOSTILE-MARKER", self.marker))
        (folder / "probe.json").write_text(json.dumps(self.probe(**probe), indent=1))
        return folder

    def everywhere(self) -> list[Path]:
        """Where a file a hostile program wrote outside its folder would be found (course.root: at any depth)."""
        return [self.root, self.root.parent, ROOT, ROOT / "grader", SPECS, REFERENCE, self.cache,
                self.other_copy, Path(tempfile.gettempdir()), Path("/tmp"), Path("/"), Path("/root"),
                Path.home(), Path("/home"), Path("/etc"), Path("/usr"), Path("/var/tmp"), Path("/dev/shm")]

    def clean_up(self) -> tuple[list[int], list[str]]:
        """Kill what the course's programs left running and remove what they, or the grader, left
        outside their folders (files they wrote, private copies of their folders in the temporary
        folder); return both (process ids, paths) for the test to judge."""
        left = processes_with(self.marker)
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        written = files_named(self.marker, *self.everywhere())
        for probe in Path(tempfile.gettempdir()).glob("sockgrade-*/probe.json"):
            with contextlib.suppress(OSError):
                if self.secret in probe.read_text():
                    written.append(str(probe.parent))
        for path in written:
            with contextlib.suppress(OSError):
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
        return left, written


def grade_safely(course: Course, submission: Path, spec, level: str | None = None):
    """Grade and check everything that must hold whatever the submission does; return the result."""
    before = fingerprint(submission)
    try:
        with loopback_lock(level), Engine(isolation=level, python=python_for(level)) as engine:
            result = engine.grade(submission, spec)
    finally:
        left, written = course.clean_up()
    assert not [t.reason for t in result.tests if t.grading_failed]
    assert left == []
    assert fingerprint(submission) == before
    assert written == []
    assert course.secret not in json.dumps(result.to_dict(), ensure_ascii=False)
    return result
