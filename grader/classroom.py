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
import stat
import zipfile
from dataclasses import dataclass, field
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
        if self.problem:               # found while unpacking the class's zip
            return
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
    notes: list[str] = field(default_factory=list)    # entries of a class zip in no student's folder, skipped


def own_files_match(folder: Path, specs) -> bool:
    """True when a file directly in ``folder`` is one of the specs' role files."""
    wanted = _wanted(specs)
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
        return _open_class_zip(path, specs, scratch / "class", skip)
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
        entries = _zip_entries(zf)
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
                # a student is a folder, or a zip in the class's folder; other loose files are no one's
                if len(entry.parts) > n + 1 or entry.folder or entry.parts[n].lower().endswith(".zip"):
                    return entry.parts[:n + 1]
                return None
            caps = dict(max_bytes=MAX_STUDENT_BYTES, max_files=MAX_STUDENT_FILES,
                        class_bytes=MAX_CLASS_BYTES, class_files=MAX_CLASS_FILES)
        troubles, outside = _unpack(zf, entries, root.resolve(), owner_of, **caps)
    notes = [_skipped(path, r) for r in outside]
    folder = root.joinpath(*base)
    folder.mkdir(parents=True, exist_ok=True)
    if single:
        student = Student(base[-1] if base else path.stem, folder)
        if () in troubles:
            student.problem = _reason(troubles[()], hint=True)
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
        if owner in troubles:
            student.problem = _reason(troubles[owner], hint=True)
            found.add(owner)
    notes += [_skipped(path, r) for owner, r in troubles.items() if owner not in found]
    return Class(students, single=False, notes=notes)


def _skipped(archive: Path, refusal: _Refusal) -> str:
    return f"note: {archive.name}: {_reason(refusal)}; it is in no student's folder, so it was skipped"


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
            entries = [e for e in _zip_entries(z) if not e.info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        return True          # let preparing it report the problem for this one student
    # a link or a path leading out is no file handed in, but it does say which folder it is in
    tops = {e.parts[0] for e in entries if len(e.parts) > 1 or (e.bad == "outside" and e.parts)}
    return any(e.parts[-1].lower() in wanted and (len(e.parts) == 1 or (len(e.parts) == 2 and len(tops) == 1))
               for e in entries if not e.bad)


# -- extraction --------------------------------------------------------------
@dataclass
class _Entry:
    info: zipfile.ZipInfo
    name: str                      # as the zip tool shows it
    parts: tuple[str, ...]         # where it lands; for a path leading out, the folders before the ".."
    folder: bool                   # it is, or claims a place in, the folder ``parts``
    bad: str = ""                  # refused by its name alone: "outside" or "link"


@dataclass
class _Refusal:
    """Why an entry was not unpacked."""
    kind: str                      # outside, link, damaged, password, method, entry-size, size, files, class, write
    name: str                      # the entry's name
    folder: bool = False           # the entry claims a place in a folder (the student is a folder)
    detail: str = ""
    limit: int = 0


def _zip_entries(zf: zipfile.ZipFile) -> list[_Entry]:
    """The zip's entries, except the junk operating systems add (``__MACOSX``, ...)."""
    entries = []
    for info in zf.infolist():
        name = _member_name(info)
        clean = name.replace("\\", "/")
        path = PurePosixPath(clean)
        outside = path.is_absolute() or bool(re.match(r"^[A-Za-z]:", clean))
        parts: list[str] = []
        if not outside:
            for part in path.parts:
                if part == "..":
                    outside = True
                    break
                if part not in ("", "."):
                    parts.append(part)
        if set(parts) & set(JUNK):
            continue
        if outside:
            entries.append(_Entry(info, name, tuple(parts), folder=True, bad="outside"))
        elif not parts:
            continue
        elif stat.S_ISLNK(info.external_attr >> 16):
            entries.append(_Entry(info, name, tuple(parts), folder=False, bad="link"))
        else:
            entries.append(_Entry(info, name, tuple(parts), folder=info.is_dir()))
    return entries


def _unpack(zf: zipfile.ZipFile, entries: list[_Entry], root: Path, owner_of, *, max_bytes: int,
            max_files: int, class_bytes: int | None = None, class_files: int | None = None):
    """Unpack each entry with an owner (``owner_of``: a key, or None) under ``root``.

    Each owner has ``max_bytes`` and ``max_files`` of their own, and all together
    ``class_bytes`` and ``class_files``. The first entry of an owner that cannot be unpacked
    stops that owner's unpacking; the others go on. Returns ({owner: refusal}, [refusals of
    bad entries with no owner])."""
    troubles: dict[tuple, _Refusal] = {}
    outside: list[_Refusal] = []
    used: dict[tuple, list[int]] = {}          # owner -> [bytes, files]
    total = [0, 0]
    for entry in entries:
        owner = owner_of(entry)
        if owner is None:
            if entry.bad:
                outside.append(_Refusal(entry.bad, entry.name, entry.folder))
            continue
        if owner in troubles:
            continue
        refusal = None
        if entry.bad:
            refusal = _Refusal(entry.bad, entry.name)
        elif entry.folder:
            try:
                root.joinpath(*entry.parts).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                refusal = _Refusal("write", entry.name, detail=exc.strerror or str(exc))
        else:
            mine = used.setdefault(owner, [0, 0])
            declared = entry.info.file_size
            if mine[1] + 1 > max_files:
                refusal = _Refusal("files", entry.name, limit=max_files)
            elif class_files is not None and total[1] + 1 > class_files:
                refusal = _Refusal("class", entry.name, detail=f"{class_files} files", limit=class_files)
            elif declared > max_bytes:
                refusal = _Refusal("entry-size", entry.name, limit=max_bytes)
            elif mine[0] + declared > max_bytes:
                refusal = _Refusal("size", entry.name, limit=max_bytes)
            elif class_bytes is not None and total[0] + declared > class_bytes:
                refusal = _Refusal("class", entry.name, detail=_size(class_bytes), limit=class_bytes)
            else:
                room = max_bytes - mine[0]
                if class_bytes is not None:
                    room = min(room, class_bytes - total[0])
                written, refusal = _write(zf, entry, root.joinpath(*entry.parts), room)
                if refusal and refusal.kind == "too-big":     # the header said less than it holds
                    if written > max_bytes:
                        refusal = _Refusal("entry-size", entry.name, limit=max_bytes)
                    elif room == max_bytes - mine[0]:
                        refusal = _Refusal("size", entry.name, limit=max_bytes)
                    else:
                        refusal = _Refusal("class", entry.name, detail=_size(class_bytes), limit=class_bytes)
                mine[0] += written
                mine[1] += 1
                total[0] += written
                total[1] += 1
        if refusal is not None:
            refusal.folder = len(entry.parts) > len(owner) or entry.folder
            troubles[owner] = refusal
    return troubles, outside


def _write(zf: zipfile.ZipFile, entry: _Entry, destination: Path, room: int) -> tuple[int, _Refusal | None]:
    """Copy one entry to ``destination``, at most ``room`` bytes (counted while writing).

    Returns the bytes written and why the entry could not be unpacked (its file is then removed)."""
    written = 0
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        dst = open(destination, "wb")
    except (OSError, ValueError) as exc:
        return 0, _Refusal("write", entry.name, detail=getattr(exc, "strerror", None) or str(exc))
    refusal = None
    with dst:
        try:
            src = zf.open(entry.info)
        except Exception as exc:           # a damaged header, a password, a method zipfile lacks
            refusal = _unreadable(entry, exc)
        else:
            with src:
                while refusal is None:
                    try:
                        chunk = src.read(1 << 16)
                    except Exception as exc:    # a CRC error, a broken stream, a zip cut short
                        refusal = _unreadable(entry, exc)
                        break
                    if not chunk:
                        break
                    written += len(chunk)
                    if written > room:
                        refusal = _Refusal("too-big", entry.name)
                        break
                    try:
                        dst.write(chunk)
                    except OSError as exc:
                        refusal = _Refusal("write", entry.name, detail=exc.strerror or str(exc))
    if refusal is not None:
        destination.unlink(missing_ok=True)
    return written, refusal


def _unreadable(entry: _Entry, exc: Exception) -> _Refusal:
    text = str(exc)
    if isinstance(exc, RuntimeError) and "password" in text.lower():
        return _Refusal("password", entry.name)
    if isinstance(exc, NotImplementedError):
        return _Refusal("method", entry.name, detail=text)
    if "crc" in text.lower():
        return _Refusal("damaged", entry.name, detail="CRC check failed")
    if isinstance(exc, EOFError) or not text:
        return _Refusal("damaged", entry.name, detail="the zip is cut short")
    return _Refusal("damaged", entry.name, detail=text)


def _size(n: int) -> str:
    if n >= 1 << 30 and not n % (1 << 30):
        return f"{n >> 30} GB"
    if n >= 1 << 20:
        return f"{n >> 20} MB"
    return f"{n} bytes"


def _reason(r: _Refusal, hint: bool = False) -> str:
    """A refused entry of a class's zip, in a teacher's words (``hint``: and what the student can do)."""
    entry = f"the zip entry {r.name!r}"
    text, advice = {
        "outside": (f"{entry} points outside its folder", "zip the folder's files, not paths leading out of it"),
        "link": (f"{entry} is a symbolic link", "hand in plain files"),
        "damaged": (f"{entry} is damaged ({r.detail})", "zip the files again"),
        "password": (f"{entry} is protected by a password", "zip the files without a password"),
        "method": (f"{entry} is compressed in a way the grader cannot read ({r.detail})",
                   "zip the files with the usual (deflate) compression"),
        "entry-size": (f"{entry} is larger than {_size(r.limit)}", ""),
        "size": (f"the student's files come to more than {_size(r.limit)} (at {entry})", ""),
        "files": (f"the student's folder holds more than {r.limit} files (at {entry})", ""),
        "class": (f"not unpacked: the whole zip holds more than {r.detail} (from {entry} on)", ""),
        "write": (f"{entry} could not be unpacked ({r.detail})", ""),
    }[r.kind]
    return f"{text}; {advice}" if hint and advice else text


def _student_reason(r: _Refusal, archive: Path, max_bytes: int, max_files: int) -> str:
    """A refused entry of one student's zip."""
    if r.kind == "outside":
        return (f"{archive.name} holds a file outside its folder ({r.name!r}); "
                "zip the folder's files, not paths leading out of it")
    if r.kind == "link":
        return f"{archive.name} holds a symbolic link ({r.name}); hand in plain files"
    if r.kind == "files":
        return f"{archive.name} holds more than {max_files} files"
    if r.kind in ("entry-size", "size", "class"):
        return f"{archive.name} unpacks to more than {_size(max_bytes)}"
    if r.kind == "damaged":
        return f"{archive.name} is damaged ({r.name}: {r.detail})"
    return f"{archive.name}: {_reason(r, hint=True)}"


def extract(archive: Path, target: Path, max_bytes: int, max_files: int) -> None:
    """Extract one student's zip into ``target`` refusing traversal, links, and more than the caps."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise SubmissionProblem(f"{archive.name} is not a zip file that can be opened") from None
    target.mkdir(parents=True, exist_ok=True)
    with zf:
        troubles, _ = _unpack(zf, _zip_entries(zf), target.resolve(), lambda entry: (),
                              max_bytes=max_bytes, max_files=max_files)
    if troubles:
        raise SubmissionProblem(_student_reason(troubles[()], archive, max_bytes, max_files))


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
