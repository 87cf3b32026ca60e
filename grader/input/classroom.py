"""Who is in a class: one student's folder, a folder of students, zips of either.

``grade PATH`` takes whatever a teacher downloaded:

- a student's folder (its own files match a spec): one student;
- a class folder (its own files match no spec): each sub-folder and each
  ``.zip`` in it is one student, named after the folder or the zip;
- a ``.zip`` of one student's files, or one holding the class's folders (what
  learning platforms' "download all" gives): extracted, then as above.

Zips are extracted safely (``unzip.py``). A student whose zip or folder breaks a rule is still
listed, with the reason in ``problem``, so the batch can report it. In a zip of
the whole class, a bad entry (a link, a path leading out, a damaged or
password-protected file, a file over the cap) is the problem of the student
whose folder it is in; one in no student's folder is skipped, with a note in
``Class.notes``.
"""
from __future__ import annotations

import hashlib
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader import files as submission_files
from grader.input import submitted
from grader.shown import name_text
from grader.input.unzip import JUNK, Refusal, SubmissionProblem, extract, reason, unpack, zip_entries

MAX_STUDENT_BYTES = 50 << 20      # a homework of a few scripts; a video is not
MAX_STUDENT_FILES = 2000
MAX_CLASS_BYTES = 2 << 30
MAX_CLASS_FILES = 200_000
# Moodle names each student's folder "Full Name_123456_assignsubmission_file_".
_MOODLE_SUFFIX = re.compile(r"_\d+_assignsubmission_\w*\Z")


@dataclass
class Student:
    name: str
    source: Path                   # the student's folder or zip as the teacher gave it
    path: Path | None = None       # the folder to grade, once prepared
    problem: str = ""
    submitted_at: str = ""         # ISO 8601, where the download says (grader/input/submitted.py)
    lms_id: str = ""               # Moodle's participant id, Canvas's user id, Gradescope's sid
    files: dict[str, Path] = field(default_factory=dict)   # a Canvas download: original name -> its file

    def __post_init__(self):
        self.name = name_text(self.name)        # a folder's name need not be UTF-8; a student's is text

    def prepare(self, scratch: Path) -> None:
        """Make ``path`` a folder to grade (extracting a zip into ``scratch``), or set ``problem``."""
        if self.problem:               # found while unpacking the class's zip
            return
        try:
            if self.files:
                self.path = _gathered(self.files, scratch / "students" / _hashed(self.name))
            elif self.source.is_dir():
                check_size(self.source, MAX_STUDENT_BYTES, MAX_STUDENT_FILES)
                self.path = self.source
            else:
                target = scratch / "students" / _hashed(self.name)
                extract(self.source, target, MAX_STUDENT_BYTES, MAX_STUDENT_FILES)
                self.path = target      # its entries' times are the student's to set: never a submission time
        except SubmissionProblem as exc:
            self.problem = name_text(str(exc))           # it may quote the zip's or a file's name
        except OSError as exc:
            self.problem = name_text(f"could not read {self.source.name}: {exc.strerror or exc}")


@dataclass
class Class:
    students: list[Student]
    single: bool                   # PATH was one student's submission
    notes: list[str] = field(default_factory=list)    # entries of a class zip in no student's folder, skipped


def own_files_match(folder: Path, specs) -> bool:
    """True when a file directly in ``folder`` is one of the specs' role files (a link counts as one only
    where it leads to a file of the folder, as in the copy graded)."""
    wanted = _wanted(specs)
    return any(e.name.lower() in wanted and submission_files.is_file(folder, e)
               for e in submission_files.listing(folder))


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
        return _open_class_zip(path, specs, scratch / "class", skip)
    if not path.is_dir():
        raise SubmissionProblem(f"{path} is neither a folder nor a zip file")
    if single or own_files_match(path, specs):
        when, sid = submitted.gradescope_single(path)
        return Class([Student(path.resolve().name, path, submitted_at=when, lms_id=sid)], single=True)
    students = _students_in(path, skip)
    if not students:          # an empty folder, or files of no spec: report it as one student
        return Class([Student(path.resolve().name, path)], single=True)
    return Class(students, single=False)


def _students_in(folder: Path, skip=()) -> list[Student]:
    skipped = {Path(p).resolve() for p in skip}
    entries = [p for p in _entries(folder) if (p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"))
               and p.resolve() not in skipped]
    exported = submitted.gradescope_export(folder)
    students: dict[str, Student] = {}
    for entry in entries:
        name = student_name(entry)
        if name in students:          # "alice/" and "alice.zip": keep both, apart
            name = entry.name
        when, sid = exported.get(entry.name, ("", ""))
        canvas = submitted.canvas_file(entry.name)          # a zip handed in on Canvas
        if canvas and entry.is_file():
            name, sid = canvas["login"], canvas["user"]
        students[name] = Student(name, entry, submitted_at=when,
                                 lms_id=sid or submitted.moodle_id(entry.stem if entry.is_file() else entry.name))
        if entry.is_symlink():        # never followed: the "class" may be a student's own folder
            students[name].problem = f"{name_text(entry.name)} is a link: not graded"
    for student in _canvas_students(folder, skipped):
        students.setdefault(student.name, student)
    return sorted(students.values(), key=lambda s: s.name)


def _canvas_students(folder: Path, skipped) -> list[Student]:
    """A Canvas "download submissions": every student's files loose in one folder, each named
    login_[LATE_]userid_submissionid_name; a student per login."""
    found: dict[str, Student] = {}
    for entry in _entries(folder):
        loose = entry.is_file() and entry.suffix.lower() != ".zip" and entry.resolve() not in skipped
        match = submitted.canvas_file(entry.name) if loose else None
        if not match:
            continue
        student = found.setdefault(match["login"], Student(match["login"], folder, lms_id=match["user"]))
        student.files.setdefault(submitted.canvas_original(match["name"]), entry)
    return list(found.values())


def _gathered(files: dict[str, Path], target: Path) -> Path:
    """A folder of the student's files under their original names."""
    target.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        if source.is_symlink() or not source.is_file():
            raise SubmissionProblem(f"{source.name} is not a regular file")
        if source.stat().st_size > MAX_STUDENT_BYTES:
            raise SubmissionProblem(f"{source.name} is larger than {MAX_STUDENT_BYTES >> 20} MB")
        (target / Path(name).name).write_bytes(source.read_bytes())
    return target


def _hashed(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def student_name(entry: Path) -> str:
    name = entry.stem if entry.is_file() else entry.name
    return _MOODLE_SUFFIX.sub("", name) or name


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in JUNK)


def _wanted(specs) -> set[str]:
    return {name.lower() for spec in specs for role in spec.roles.values() for name in role.files}


def _open_class_zip(path: Path, specs, root: Path, skip=()) -> Class:
    """The students of a zip of the class's folders (or of one student under wrapping folders).

    Where the students' folders are is read from the entries' names first (stepping into a
    lone folder wrapping everything, "submissions/alice/..."), so that every entry has its
    student while it is unpacked: a bad entry stops that student's unpacking only, and each
    student has caps of their own."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return Class([Student(path.stem, path)], single=True)     # preparing it says what is wrong
    root.mkdir(parents=True, exist_ok=True)
    with zf:
        entries = zip_entries(zf)
        base, single = _layout(entries, _wanted(specs))
        n = len(base)
        if single:
            def owner_of(entry):
                return () if entry.parts[:n] == base else None
            caps = dict(max_bytes=MAX_STUDENT_BYTES, max_files=MAX_STUDENT_FILES)
        else:
            def owner_of(entry):
                if entry.parts[:n] != base or len(entry.parts) <= n or entry.parts[n].startswith("."):
                    return None
                # a student is a folder, or a zip in the class's folder, or (Canvas) loose files named for
                # them; other loose files are no one's
                if len(entry.parts) > n + 1 or entry.folder or entry.parts[n].lower().endswith(".zip"):
                    return entry.parts[:n + 1]
                canvas = submitted.canvas_file(entry.parts[n])
                return ("canvas", canvas["login"]) if canvas else None
            caps = dict(max_bytes=MAX_STUDENT_BYTES, max_files=MAX_STUDENT_FILES,
                        class_bytes=MAX_CLASS_BYTES, class_files=MAX_CLASS_FILES)
        troubles, outside = unpack(zf, entries, root.resolve(), owner_of, **caps)
    notes = [_skipped(path, r) for r in outside]
    folder = root.joinpath(*base)
    folder.mkdir(parents=True, exist_ok=True)
    if single:
        student = Student(base[-1] if base else path.stem, folder)
        if () in troubles:
            student.problem = reason(troubles[()], hint=True)
        return Class([student], single=True, notes=notes)
    for owner, refusal in troubles.items():     # a student whose every entry was refused is still one
        place = root.joinpath(*owner)
        try:
            if refusal.folder:
                place.mkdir(parents=True, exist_ok=True)
            elif not place.exists():
                place.touch()
        except OSError:
            pass
    students = _students_in(folder, skip)
    found = set()
    for student in students:
        try:
            owner = student.source.relative_to(root).parts
        except ValueError:
            continue
        if student.files:                # Canvas: the entries of the student's own files
            names = {p.name for p in student.files.values()}
            mine = [e.info for e in entries if not e.bad and e.parts[:-1] == base and e.parts[-1] in names]
        else:
            mine = [e.info for e in entries if not e.bad and e.parts[:len(owner)] == owner]
        # the platform's download: its entries' times are when each file was handed in
        student.submitted_at = student.submitted_at or submitted.latest_zip_time(mine)
        if owner in troubles:
            student.problem = reason(troubles[owner], hint=True)
            found.add(owner)
    notes += [_skipped(path, r) for owner, r in troubles.items() if owner not in found]
    return Class(students, single=False, notes=notes)


def _skipped(archive: Path, refusal: Refusal) -> str:
    return f"note: {archive.name}: {reason(refusal)}; it is in no student's folder, so it was skipped"


def _layout(entries, wanted: set[str]) -> tuple[tuple[str, ...], bool]:
    """Where the students are in a zip: the lone folders wrapping them all ("submissions/alice/..."),
    and whether the files there are one student's (a role file among them, as ``own_files_match``).

    Only what can be a student (a folder, a zip) counts when looking for a lone folder: a loose
    file beside it (an index page, a link refused anyway) does not keep its students from being found."""
    base: tuple[str, ...] = ()
    while True:
        n = len(base)
        below = [e for e in entries if e.parts[:n] == base and len(e.parts) > n]
        loose = [e for e in below if len(e.parts) == n + 1 and not e.folder and not e.bad]
        if any(e.parts[n].lower() in wanted for e in loose):
            return base, True
        folders = {e.parts[n] for e in below if len(e.parts) > n + 1 or e.folder}
        zips = {e.parts[n] for e in loose if e.parts[n].lower().endswith(".zip")}
        names = {name for name in folders | zips if not name.startswith(".")}
        if len(names) != 1 or names & zips:
            return base, False
        base += tuple(names)


def _zip_is_one_student(path: Path, specs) -> bool:
    """A zip is one student's when a role file sits at its top or under one wrapping folder."""
    wanted = _wanted(specs)
    try:
        with zipfile.ZipFile(path) as z:
            entries = [e for e in zip_entries(z) if not e.info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return True          # let preparing it report the problem for this one student
    # a link or a path leading out is no file handed in, but it does say which folder it is in
    tops = {e.parts[0] for e in entries if len(e.parts) > 1 or (e.bad == "outside" and e.parts)}
    return any(e.parts[-1].lower() in wanted and (len(e.parts) == 1 or (len(e.parts) == 2 and len(tops) == 1))
               for e in entries if not e.bad)


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
