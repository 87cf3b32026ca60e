"""Who is in a class: one student's folder, a folder of students, zips of either.

``grade PATH`` takes whatever a teacher downloaded:

- a student's folder (its own files match a spec): one student;
- a class folder (its own files match no spec): each sub-folder and each
  ``.zip`` in it is one student, named after the folder or the zip;
- a ``.zip`` of one student's files, or one holding the class's folders (what
  learning platforms' "download all" gives): extracted, then as above.

Zips are extracted safely: no absolute paths, no ``..``, no links, and caps on
the number of files and the bytes written (counted while writing, not read
from the zip's headers). A student whose zip or folder breaks a rule is still
listed, with the reason in ``problem``, so the batch can report it.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_STUDENT_BYTES = 50 << 20      # a homework of a few scripts; a video is not
MAX_STUDENT_FILES = 2000
MAX_CLASS_BYTES = 2 << 30
MAX_CLASS_FILES = 200_000
JUNK = ("__MACOSX", "__pycache__", ".DS_Store", "Thumbs.db")
# Moodle names each student's folder "Full Name_123456_assignsubmission_file_".
_MOODLE_SUFFIX = re.compile(r"_\d+_assignsubmission_\w*$")


class SubmissionProblem(Exception):
    """This student's submission cannot be graded; the message says why."""


@dataclass
class Student:
    name: str
    source: Path                   # the student's folder or zip as the teacher gave it
    path: Path | None = None       # the folder to grade, once prepared
    problem: str = ""

    def prepare(self, scratch: Path) -> None:
        """Make ``path`` a folder to grade (extracting a zip into ``scratch``), or set ``problem``."""
        try:
            if self.source.is_dir():
                check_size(self.source, MAX_STUDENT_BYTES, MAX_STUDENT_FILES)
                self.path = self.source
            else:
                target = scratch / "students" / hashlib.sha256(self.name.encode()).hexdigest()[:16]
                extract(self.source, target, MAX_STUDENT_BYTES, MAX_STUDENT_FILES)
                self.path = target
        except SubmissionProblem as exc:
            self.problem = str(exc)
        except OSError as exc:
            self.problem = f"could not read {self.source.name}: {exc.strerror or exc}"


@dataclass
class Class:
    students: list[Student]
    single: bool                   # PATH was one student's submission


def own_files_match(folder: Path, specs) -> bool:
    """True when a file directly in ``folder`` is one of the specs' role files."""
    wanted = {name.lower() for spec in specs for role in spec.roles.values() for name in role.files}
    return any(p.is_file() and p.name.lower() in wanted for p in _entries(folder))


def open_class(path: Path, specs, scratch: Path, *, single: bool = False, skip=()) -> Class:
    """The students found at ``path``; zips of a whole class are extracted into ``scratch``.

    ``single`` says PATH is one student whatever it holds (Gradescope's submission folder);
    ``skip`` names folders that are no student (the run's own outputs, put inside the class).
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".zip" and not zipfile.is_zipfile(path):
        return Class([Student(path.stem, path)], single=True)     # preparing it says what is wrong
    if path.is_file() and zipfile.is_zipfile(path):
        if single or _zip_is_one_student(path, specs):
            return Class([Student(path.stem, path)], single=True)
        folder = scratch / "class"
        extract(path, folder, MAX_CLASS_BYTES, MAX_CLASS_FILES)
        folder = _unwrap(folder, specs)
        if own_files_match(folder, specs):
            return Class([Student(folder.name if folder != scratch / "class" else path.stem, folder)], True)
        return Class(_students_in(folder, skip), single=False)
    if not path.is_dir():
        raise SubmissionProblem(f"{path} is neither a folder nor a zip file")
    if single or own_files_match(path, specs):
        return Class([Student(path.resolve().name, path)], single=True)
    students = _students_in(path, skip)
    if not students:          # an empty folder, or files of no spec: report it as one student
        return Class([Student(path.resolve().name, path)], single=True)
    return Class(students, single=False)


def _students_in(folder: Path, skip=()) -> list[Student]:
    skipped = {Path(p).resolve() for p in skip}
    entries = [p for p in _entries(folder) if (p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"))
               and p.resolve() not in skipped]
    students: dict[str, Student] = {}
    for entry in entries:
        name = student_name(entry)
        if name in students:          # "alice/" and "alice.zip": keep both, apart
            name = entry.name
        students[name] = Student(name, entry)
    return sorted(students.values(), key=lambda s: s.name)


def student_name(entry: Path) -> str:
    name = entry.stem if entry.is_file() else entry.name
    return _MOODLE_SUFFIX.sub("", name) or name


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in JUNK)


def _unwrap(folder: Path, specs) -> Path:
    """Step into a lone folder a zip wraps everything in ("submissions/alice/...")."""
    while not own_files_match(folder, specs):
        entries = _entries(folder)
        if len(entries) != 1 or not entries[0].is_dir():
            break
        folder = entries[0]
    return folder


def _zip_is_one_student(path: Path, specs) -> bool:
    """A zip is one student's when a role file sits at its top or under one wrapping folder."""
    wanted = {name.lower() for spec in specs for role in spec.roles.values() for name in role.files}
    try:
        with zipfile.ZipFile(path) as z:
            names = [PurePosixPath(_member_name(i)) for i in z.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError):
        return True          # let preparing it report the problem for this one student
    names = [n for n in names if not set(n.parts) & set(JUNK)]
    tops = {n.parts[0] for n in names if len(n.parts) > 1}
    return any(n.name.lower() in wanted and (len(n.parts) == 1 or (len(n.parts) == 2 and len(tops) == 1))
               for n in names)


# -- extraction --------------------------------------------------------------
def extract(archive: Path, target: Path, max_bytes: int, max_files: int) -> None:
    """Extract a zip into ``target`` refusing traversal, links, and more than the caps."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise SubmissionProblem(f"{archive.name} is not a zip file that can be opened") from None
    written = 0
    files = 0
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    with zf:
        for info in zf.infolist():
            relative = _safe_relative(_member_name(info), archive)
            if relative is None or set(relative.parts) & set(JUNK):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise SubmissionProblem(f"{archive.name} holds a symbolic link ({relative}); "
                                        "hand in plain files")
            destination = root.joinpath(*relative.parts)
            if info.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            files += 1
            if files > max_files:
                raise SubmissionProblem(f"{archive.name} holds more than {max_files} files")
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, open(destination, "wb") as dst:
                    while chunk := src.read(1 << 16):
                        written += len(chunk)
                        if written > max_bytes:
                            raise SubmissionProblem(f"{archive.name} unpacks to more than "
                                                    f"{max_bytes >> 20} MB")
                        dst.write(chunk)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
                raise SubmissionProblem(f"{archive.name} is damaged ({relative}: {exc})") from None
            except RuntimeError as exc:      # an encrypted member
                raise SubmissionProblem(f"{archive.name}: {exc}") from None


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; zips made on Chinese Windows store GBK names without saying so."""
    name = info.filename
    if info.flag_bits & 0x800:
        return name
    raw = name.encode("cp437", errors="replace")
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return name


def _safe_relative(name: str, archive: Path) -> PurePosixPath | None:
    name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
        raise SubmissionProblem(f"{archive.name} holds a file outside its folder ({name!r}); "
                                "zip the folder's files, not paths leading out of it")
    parts = [p for p in path.parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def check_size(folder: Path, max_bytes: int, max_files: int) -> None:
    total = files = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in JUNK]
        for name in filenames:
            files += 1
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
            if files > max_files or total > max_bytes:
                limit = f"{max_files} files" if files > max_files else f"{max_bytes >> 20} MB"
                raise SubmissionProblem(f"the submission holds more than {limit}")
