"""Results of earlier runs, so re-grading a class regrades only what changed.

An entry is one AssignmentResult as JSON, named by a key over everything that
decides it: the submission's files, the spec file, the reference programs it
names, the tests graded (``--test`` picks some), the grader's own code and
version, the isolation level, and for a role built with ``build:`` the versions of the
compilers and runtimes its commands start (``gcc``, ``javac``, ``java``: a new compiler
may judge the same code otherwise). Identical
submissions share an entry (the student's name is not part of the result's
meaning). A result in which the grader itself failed is never stored: it may
not happen again.

Regrading (``--regrade``, ``--no-cache``) writes fresh results over the
entries. A run of some tests only (``--test``) has its own key; regraded, its
fresh tests are also merged into the entry of the whole spec (``merged``), so
that the record a plain run reads is the one corrected.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from grader import __version__
from grader import files
from grader.grading.pairs import note_disagreement
from grader.results import AssignmentResult, status_of
from grader.runner import toolchain

FORMAT = 4        # 2: results carry their Status (extra_data.status) instead of a grader_error flag;
#                   3: a failed test carries its cause (extra_data.cause);
#                   4: a pair test says whether it parted from the reference pair (extra_data.parted)


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sockgrade" / "results"


@lru_cache(maxsize=1)
def grader_digest() -> str:
    """The version and every source file of the grader: a changed grader regrades everything."""
    h = hashlib.sha256(f"sockgrade {__version__} format {FORMAT} python {sys.version_info[:2]}".encode())
    package = Path(__file__).resolve().parent.parent        # grader/, every subpackage
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def folder_digest(folder: Path) -> str:
    """Names and contents of every file under ``folder``, its folders, which files are executable, and
    its links' texts (never what they point to): all that the copy the programs run can differ by, and
    the links left out of it (``files.py``)."""
    h = hashlib.sha256()

    def add(entry: files.Entry, fd: int | None) -> None:
        h.update(entry.kind.encode() + b":" + os.fsencode(entry.path) + b"\0")
        if entry.kind == files.LINK:
            h.update(os.fsencode(entry.target))
        elif entry.kind == files.FILE:
            content = hashlib.sha256()        # a digest of its own: no content passes for more entries
            while chunk := os.read(fd, 1 << 20):
                content.update(chunk)
            h.update((b"x" if files.executable(entry.mode) else b"-") + content.digest())
        h.update(b"\0")

    for why in files.snapshot(folder, add).problems():      # what the student is told, as the result says it
        h.update(b"left out:" + why.encode() + b"\0")
    return h.hexdigest()


def spec_digest(spec) -> str:
    h = hashlib.sha256(Path(spec.source).read_bytes())
    for name in sorted(spec.roles):
        reference = spec.roles[name].reference
        if reference and Path(reference).is_file():
            h.update(name.encode() + b"\0" + Path(reference).read_bytes())
    return h.hexdigest()


VERSION_SECONDS = 20


def toolchain_digest(commands: tuple[str, ...]) -> str:
    """What each program the roles' commands start says its version is, and where it is: '' for none."""
    if not commands:
        return ""
    path = os.environ.get("PATH", os.defpath)
    return hashlib.sha256("\0".join(_version(toolchain.locate(c, path) or c) for c in commands).encode()).hexdigest()


@lru_cache(maxsize=32)
def _version(program: str) -> str:
    """``program --version`` (or ``-version``, an older Java's), both its outputs; '' when it cannot say."""
    for flag in ("--version", "-version"):
        try:
            done = subprocess.run([program, flag], capture_output=True, timeout=VERSION_SECONDS,
                                  stdin=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            return f"{program}: not found"
        if done.returncode == 0:
            return f"{program}: " + (done.stdout + done.stderr).decode("utf-8", errors="replace")
    return f"{program}: no version"


class ResultCache:
    """Entries in ``folder``; with ``None``, keys only (nothing is kept: ``--no-cache``)."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder is not None else None
        _close_to_others(self.folder)
        self._specs: dict[str, str] = {}

    def key(self, submission: Path, spec, isolation: str) -> str:
        source = str(spec.source)
        if source not in self._specs:
            self._specs[source] = spec_digest(spec)
        # `--test` grades a part of the spec; `--seed` changes generated conversations
        tests = "\0".join(t.name + (f"@seed={t.params.seed}" if t.params.seed is not None else "")
                           for t in spec.tests)
        parts = [grader_digest(), self._specs[source], spec.id, tests, isolation, folder_digest(submission),
                 toolchain_digest(toolchain.commands_of(f for r in spec.roles.values() for f in r.forms))]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def get(self, key: str, student: str) -> AssignmentResult | None:
        if self.folder is None:
            return None
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            result = AssignmentResult.from_dict(data)
        except Exception:
            return None                  # no entry, or one we cannot read (any damage): grade again
        result.student = student
        return result

    def put(self, key: str, result: AssignmentResult) -> None:
        """Keep ``result``; raises OSError when the folder cannot be written (read-only, full),
        leaving no partial entry behind: the caller warns and goes on."""
        if self.folder is None or not storable(result):
            return
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)     # no student's user may read it
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(result.to_dict(), f, ensure_ascii=False)
            os.replace(tmp, self.folder / f"{key}.json")
        except BaseException:
            try:
                Path(tmp).unlink(missing_ok=True)
            except OSError:
                pass
            raise


def _close_to_others(folder: Path | None) -> None:
    """A cache folder an older version (or a teacher) made readable by all is made ours alone."""
    try:
        if folder is not None and folder.stat().st_uid == os.geteuid() and folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except OSError:
        pass


def storable(result: AssignmentResult) -> bool:
    """A graded result in which the grader failed nowhere: it may not fail again."""
    return not result.ungraded and not result.infrastructure_failed


def merged(record: AssignmentResult, fresh: AssignmentResult) -> AssignmentResult:
    """``record`` (a whole spec's result) with each test ``fresh`` graded replaced by the fresh one,
    in the record's order; a fresh test the record lacks is added at the end. The score follows
    the tests; the record's duration grows or shrinks by the replaced tests' difference. The pair
tests' note of a client and server that disagree is made again for the merged tests."""
    new = {t.name: t for t in fresh.tests}
    tests = [replace(t) for t in [new.pop(t.name, t) for t in record.tests] + list(new.values())]
    note_disagreement(tests)             # its sides may pass or fail otherwise now
    duration = record.duration + sum(t.duration for t in fresh.tests) - sum(
        t.duration for t in record.tests if t.name in {f.name for f in fresh.tests})
    return replace(record, tests=tests, status=status_of(tests), duration=round(max(0.0, duration), 3),
                   student=fresh.student, extra={**record.extra, **fresh.extra})
