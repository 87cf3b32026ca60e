"""Which students' code is alike: every pair of students, per role of a spec, ranked.

A student's file for a role is found as ``grade`` finds it (``grader.input.discover``), the students
as ``grade`` reads a class (``grader.input.classroom``). Two files are compared with copydetect's
winnowing fingerprints (as MOSS does): names become placeholders, comments and layout are
dropped, so renamed variables and reordered functions still match. Code found in the spec's
reference programs or in the teacher's ``base`` files (the lecture's code) is boilerplate: its
fingerprints are removed from every file first, so code everyone started from counts for no one.

A pair's similarity is the mean of the two shares: how much of a's code (after boilerplate) is
found in b's, and of b's in a's. Files byte-identical once line endings are normalised are
``identical`` (similarity 1) when at least a fifth of their code is their own; when nearly all of
it is the given code, they score by what differs from it, as other pairs do. Pairs rank by their
similarity, but one whose files have less than ``ENOUGH_OWN`` fingerprints of their own (a line or
two changed in the handout) by its similarity scaled down by how little that is: two students who
changed the same port in the lecture's server share everything they wrote, which is almost nothing.

A file that is a reference program or a base file itself (line endings and trailing spaces
aside) "kept the handout": it is listed apart (``Comparison.handouts``) and compared with no one.
A student's file is found as ``grade`` finds it, under another name too (``discover.misnamed_across``).
"""
from __future__ import annotations

import io
import itertools
import os
from html import escape
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap
from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound

from grader import scratch as scratch_folders
from grader import files
from grader.input import classroom, discover
from grader.spec import Spec

NOISE = 25            # copydetect's default: matches shorter than 25 characters of normalised code are noise
ENOUGH_OWN = 100      # fingerprints of one's own code (a few lines) for a pair to rank by its similarity alone
MOSTLY_GIVEN = 5      # identical files of which less than 1/5 is their own code are near-identical handouts
MAX_FILE_BYTES = 512 << 10     # a homework file; anything bigger is not compared (and said so)
ENCODINGS = ("utf-8-sig", "gb18030")     # Chinese Windows editors still save GBK


class SimilarityError(Exception):
    """The class or a base file cannot be compared (shown to the teacher as one line)."""


@dataclass(frozen=True)
class Pair:
    a: str                          # students, in name order
    b: str
    spec: str
    role: str
    similarity: float               # 0..1
    shares: tuple[float, float]     # of a's code found in b's; of b's found in a's
    identical: bool = False
    files: tuple[str, str] = ("", "")   # each file's path inside its student's folder

    def to_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "role": self.role, "similarity": round(self.similarity, 4),
                "spec": self.spec, "identical": self.identical,
                "shares": [round(s, 4) for s in self.shares], "files": list(self.files)}


@dataclass
class Source:
    """One student's file for one role, read and fingerprinted."""
    student: str
    spec: str
    role: str
    name: str                       # its path inside the student's folder
    data: bytes                     # its bytes, line endings normalised to \n
    text: str                       # ... decoded
    fingerprint: CodeFingerprint
    total: int = 0                  # its fingerprints before the given code was removed

    @property
    def own(self) -> int:
        """Its fingerprints that are not the given code's."""
        return len(self.fingerprint.hashes)

    @property
    def mostly_given(self) -> bool:
        return MOSTLY_GIVEN * self.own < self.total


@dataclass(frozen=True)
class Handout:
    """A student's file that is a given file unchanged."""
    student: str
    spec: str
    role: str
    name: str                       # its path inside the student's folder
    given: str                      # the reference's or base file's name


@dataclass
class Comparison:
    pairs: list[Pair]                              # identical first, then by similarity, high to low
    students: list[str]
    groups: dict[tuple[str, str], int]             # (spec, role) -> students compared
    base: list[str]                                # the boilerplate's files, as given
    notes: list[str] = field(default_factory=list)     # students or files left out, and why
    sources: dict[tuple[str, str, str], Source] = field(default_factory=dict)
    handouts: list[Handout] = field(default_factory=list)     # compared with no one

    def highlighted(self, pair: Pair, mark: tuple[str, str] = ("<mark>", "</mark>")) -> tuple[str, str]:
        """Both files as escaped HTML, the code they share wrapped in ``mark``."""
        first = self.sources[(pair.a, pair.spec, pair.role)]
        second = self.sources[(pair.b, pair.spec, pair.role)]
        if pair.identical:
            return tuple(mark[0] + _escape(s.text) + mark[1] for s in (first, second))
        _, _, slices = compare_files(first.fingerprint, second.fingerprint)
        return tuple(_marked(s.text, cut, mark) for s, cut in zip((first, second), slices))


def compare_class(path: Path, specs: list[Spec], *, chosen: bool, base: list[Path] = ()) -> Comparison:
    """Every pair of students at ``path`` per (spec, role). ``chosen``: the teacher named the specs,
    and every student is compared against each; otherwise against the specs whose files they handed in."""
    boilerplate = [Path(p) for p in base]
    for file in boilerplate:
        if file.is_dir():
            raise SimilarityError(f"--base {file} is a folder: give the files in it (--base FILE for each)")
        if not file.is_file():
            raise SimilarityError(f"--base {file}: no such file")
    scratch = Path(scratch_folders.make("similar"))
    try:
        try:
            found = classroom.open_class(Path(path), specs, scratch)
        except classroom.SubmissionProblem as exc:
            raise SimilarityError(str(exc)) from None
        if found.single:
            raise SimilarityError(f"{path} is one student's submission (its own files are an assignment's); "
                                  "give the class folder or zip holding every student's")
        comparison = Comparison(pairs=[], students=[s.name for s in found.students], groups={},
                                base=[str(p) for p in boilerplate], notes=list(found.notes))
        hashes = {spec.id: _boilerplate(spec, boilerplate) for spec in specs}
        given = {spec.id: _given(spec, boilerplate) for spec in specs}
        for student in found.students:
            _read_student(student, specs, chosen, scratch, hashes, given, comparison)
        groups: dict[tuple[str, str], list[Source]] = {}
        for source in comparison.sources.values():
            groups.setdefault((source.spec, source.role), []).append(source)
        for (spec, role), sources in sorted(groups.items()):
            comparison.groups[(spec, role)] = len(sources)
            for first, second in itertools.combinations(sorted(sources, key=lambda s: s.student), 2):
                comparison.pairs.append(compare(first, second))

        def rank(pair: Pair) -> float:
            own = min(comparison.sources[(who, pair.spec, pair.role)].own for who in (pair.a, pair.b))
            return round(pair.similarity * min(1.0, own / ENOUGH_OWN), 4)
        comparison.pairs.sort(key=lambda p: (not p.identical, -rank(p), -round(p.similarity, 4),
                                             p.spec, p.role, p.a, p.b))
        comparison.handouts.sort(key=lambda h: (h.spec, h.role, h.student))
        return comparison
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def compare(first: Source, second: Source) -> Pair:
    files = (first.name, second.name)
    if first.data == second.data and not first.mostly_given:
        return Pair(first.student, second.student, first.spec, first.role, 1.0, (1.0, 1.0), True, files)
    if not first.own or not second.own:       # nothing of their own: nothing they could share
        return Pair(first.student, second.student, first.spec, first.role, 0.0, (0.0, 0.0), False, files)
    _, shares, _ = compare_files(first.fingerprint, second.fingerprint)
    shares = tuple(min(1.0, float(s)) for s in shares)
    return Pair(first.student, second.student, first.spec, first.role, sum(shares) / 2, shares, False, files)


def fingerprint(text: str, name: str, boilerplate=None) -> CodeFingerprint:
    # A window of 1 keeps every fingerprint: the scores do not depend on Python's salted str hashes.
    return CodeFingerprint(name, NOISE, 1, boilerplate=boilerplate, language=_language(name), fp=io.StringIO(text))


def read(path: Path) -> tuple[bytes, str]:
    """A file's bytes with line endings normalised to \\n, and its text: UTF-8 (with or without BOM),
    else GBK, else UTF-8 with bad bytes replaced. ValueError for a file too big to be homework."""
    with open(path, "rb") as f:
        return decoded(f.read(MAX_FILE_BYTES + 1))


def decoded(data: bytes) -> tuple[bytes, str]:
    """``read``'s result for a file's first bytes."""
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"larger than {MAX_FILE_BYTES >> 10} KiB")
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    for encoding in ENCODINGS:
        try:
            return data, data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data, data.decode("utf-8", errors="replace")


def _read_student(student, specs, chosen, scratch, hashes, given, comparison) -> None:
    student.prepare(scratch)
    if student.problem:
        comparison.notes.append(f"{student.name}: not compared: {student.problem}")
        return
    before = len(comparison.sources), len(comparison.notes)
    try:
        misnamed = discover.misnamed_across(student.path, specs)
        applying = specs if chosen else [s for s in specs if discover.applies(student.path, s)] or \
            [s for s in specs if misnamed.get(s.id)]          # as grade chooses
        for spec in applying:
            for role, path in discover.role_files(student.path, spec).items():
                path = path or misnamed.get(spec.id, {}).get(role)
                if path is None:
                    continue
                name = path.relative_to(student.path).as_posix()
                if path.is_symlink() or not path.resolve().is_relative_to(student.path.resolve()):
                    comparison.notes.append(f"{student.name}: {name} is a link, not a file: not compared")
                    continue
                try:
                    with os.fdopen(files.open_file(student.path, name), "rb") as f:     # never through a link
                        data, text = decoded(f.read(MAX_FILE_BYTES + 1))
                except ValueError as exc:
                    comparison.notes.append(f"{student.name}: {name} is {exc}: not compared")
                    continue
                if kept := given[spec.id].get(_without_trailing_space(text)):
                    comparison.handouts.append(Handout(student.name, spec.id, role, name, kept))
                    continue
                comparison.sources[(student.name, spec.id, role)] = Source(
                    student.name, spec.id, role, name, data, text, fingerprint(text, name, hashes[spec.id]),
                    total=len(fingerprint(text, name).hashes))
    except OSError as exc:
        comparison.notes.append(f"{student.name}: could not read the submission: {exc.strerror or exc}")
        return
    if (len(comparison.sources), len(comparison.notes)) == before and \
            not any(h.student == student.name for h in comparison.handouts):
        comparison.notes.append(f"{student.name}: none of the assignments' files found: not compared")


def _boilerplate(spec: Spec, base: list[Path]) -> np.ndarray:
    """The fingerprints of every reference program of ``spec`` and of the base files."""
    files = [role.reference for role in spec.roles.values() if role.reference is not None] + list(base)
    found = []
    for file in files:
        try:
            _, text = read(file)
        except (OSError, ValueError) as exc:
            raise SimilarityError(f"{file}: cannot be read as boilerplate: {getattr(exc, 'strerror', None) or exc}")
        found.extend(fingerprint(text, file.name).hashes)
    return np.unique(np.array(found, dtype=np.int64))


def _given(spec: Spec, base: list[Path]) -> dict[str, str]:
    """The text of every reference program of ``spec`` and base file, trailing spaces aside -> its name."""
    files = [role.reference for role in spec.roles.values() if role.reference is not None] + list(base)
    found = {}
    for file in files:
        try:
            found.setdefault(_without_trailing_space(read(file)[1]), file.name)
        except (OSError, ValueError):
            continue            # _boilerplate has said so
    return found


def _without_trailing_space(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _language(name: str) -> str:
    """The language to tokenise a file as: from its name, else Python (what the grader runs)."""
    try:
        alias = get_lexer_for_filename(name).aliases[0]
    except (ClassNotFound, IndexError):
        return "python"
    return "python" if alias == "text" else alias


def _escape(text: str) -> str:
    return escape(text, quote=False)


def _marked(text: str, cut, mark: tuple[str, str]) -> str:
    if cut is None or len(cut) == 0 or len(cut[0]) == 0:
        return _escape(text)
    marked, _ = highlight_overlap(text, np.asarray(cut), mark[0], mark[1], escape_html=True)
    return marked
