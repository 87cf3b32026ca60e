"""Unpacking zips safely: a student's zip, or a class's "download all".

No absolute paths, no ``..``, no links; caps on the number of files and the
bytes written (counted while writing, not read from the zip's headers), for
each owner (a student) and for the whole zip. An entry that cannot be
unpacked (damaged, password-protected, over a cap) is refused with the reason
in a teacher's words (``reason``), and stops its owner's unpacking only.
Names from Chinese Windows zips (GBK, unmarked) are read right.
"""
from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

JUNK = ("__MACOSX", "__pycache__", ".DS_Store", "Thumbs.db")


class SubmissionProblem(Exception):
    """This student's submission cannot be graded; the message says why."""


@dataclass
class Entry:
    info: zipfile.ZipInfo
    name: str                      # as the zip tool shows it
    parts: tuple[str, ...]         # where it lands; for a path leading out, the folders before the ".."
    folder: bool                   # it is, or claims a place in, the folder ``parts``
    bad: "Why | None" = None       # refused by its name alone: OUTSIDE or LINK


class Why(StrEnum):
    """Why an entry of a zip was not unpacked."""
    OUTSIDE = "outside"            # its path leads out of its folder
    LINK = "link"                  # a symbolic link
    DAMAGED = "damaged"
    PASSWORD = "password"
    METHOD = "method"              # a compression the grader cannot read
    TOO_BIG = "too-big"            # it unpacked to more than its header said, past a limit
    ENTRY_SIZE = "entry-size"      # one file over the limit
    SIZE = "size"                  # a student's files over the limit
    FILES = "files"                # a student's folder holds too many files
    CLASS = "class"                # the whole zip over the class's limit
    WRITE = "write"                # it could not be written


@dataclass
class Refusal:
    """Why an entry was not unpacked."""
    kind: "Why"
    name: str                      # the entry's name
    folder: bool = False           # the entry claims a place in a folder (the student is a folder)
    detail: str = ""
    limit: int = 0


def zip_entries(zf: zipfile.ZipFile) -> list[Entry]:
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
            entries.append(Entry(info, name, tuple(parts), folder=True, bad=Why.OUTSIDE))
        elif not parts:
            continue
        elif stat.S_ISLNK(info.external_attr >> 16):
            entries.append(Entry(info, name, tuple(parts), folder=False, bad=Why.LINK))
        else:
            entries.append(Entry(info, name, tuple(parts), folder=info.is_dir()))
    return entries


@dataclass(frozen=True)
class _Caps:
    max_bytes: int                 # each owner's
    max_files: int
    class_bytes: int | None        # all owners' together
    class_files: int | None


def unpack(zf: zipfile.ZipFile, entries: list[Entry], root: Path, owner_of, *, max_bytes: int,
            max_files: int, class_bytes: int | None = None, class_files: int | None = None):
    """Unpack each entry with an owner (``owner_of``: a key, or None) under ``root``.

    Each owner has ``max_bytes`` and ``max_files`` of their own, and all together
    ``class_bytes`` and ``class_files``. The first entry of an owner that cannot be unpacked
    stops that owner's unpacking; the others go on. Returns ({owner: refusal}, [refusals of
    bad entries with no owner])."""
    caps = _Caps(max_bytes, max_files, class_bytes, class_files)
    troubles: dict[tuple, Refusal] = {}
    outside: list[Refusal] = []
    used: dict[tuple, list[int]] = {}          # owner -> [bytes, files]
    total = [0, 0]
    for entry in entries:
        owner = owner_of(entry)
        if owner is None:
            if entry.bad:
                outside.append(Refusal(entry.bad, entry.name, entry.folder))
            continue
        if owner in troubles:
            continue
        refusal = _unpack_entry(zf, entry, root, used.setdefault(owner, [0, 0]), total, caps)
        if refusal is not None:
            refusal.folder = len(entry.parts) > len(owner) or entry.folder
            troubles[owner] = refusal
    return troubles, outside


def _unpack_entry(zf: zipfile.ZipFile, entry: Entry, root: Path, mine: list[int], total: list[int],
                  caps: _Caps) -> Refusal | None:
    """Unpack one entry of an owner whose unpacking goes on; ``mine`` and ``total``: the [bytes, files]
    its owner and all owners have unpacked so far. None, or why it was not unpacked."""
    if entry.bad:
        return Refusal(entry.bad, entry.name)
    if entry.folder:
        try:
            root.joinpath(*entry.parts).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return Refusal(Why.WRITE, entry.name, detail=exc.strerror or str(exc))
        return None
    refusal = _over_a_cap(entry, mine, total, caps)
    if refusal is not None:
        return refusal
    room = caps.max_bytes - mine[0]
    if caps.class_bytes is not None:
        room = min(room, caps.class_bytes - total[0])
    written, refusal = _write(zf, entry, root.joinpath(*entry.parts), room)
    if refusal and refusal.kind is Why.TOO_BIG:     # the header said less than it holds
        if written > caps.max_bytes:
            refusal = Refusal(Why.ENTRY_SIZE, entry.name, limit=caps.max_bytes)
        elif room == caps.max_bytes - mine[0]:
            refusal = Refusal(Why.SIZE, entry.name, limit=caps.max_bytes)
        else:
            refusal = Refusal(Why.CLASS, entry.name, detail=_size(caps.class_bytes), limit=caps.class_bytes)
    mine[0] += written
    mine[1] += 1
    total[0] += written
    total[1] += 1
    return refusal


def _over_a_cap(entry: Entry, mine: list[int], total: list[int], caps: _Caps) -> Refusal | None:
    """Why a file would pass a cap, by the count of files and the size its header says."""
    declared = entry.info.file_size
    if mine[1] + 1 > caps.max_files:
        return Refusal(Why.FILES, entry.name, limit=caps.max_files)
    if caps.class_files is not None and total[1] + 1 > caps.class_files:
        return Refusal(Why.CLASS, entry.name, detail=f"{caps.class_files} files", limit=caps.class_files)
    if declared > caps.max_bytes:
        return Refusal(Why.ENTRY_SIZE, entry.name, limit=caps.max_bytes)
    if mine[0] + declared > caps.max_bytes:
        return Refusal(Why.SIZE, entry.name, limit=caps.max_bytes)
    if caps.class_bytes is not None and total[0] + declared > caps.class_bytes:
        return Refusal(Why.CLASS, entry.name, detail=_size(caps.class_bytes), limit=caps.class_bytes)
    return None


def _write(zf: zipfile.ZipFile, entry: Entry, destination: Path, room: int) -> tuple[int, Refusal | None]:
    """Copy one entry to ``destination``, at most ``room`` bytes (counted while writing).

    Returns the bytes written and why the entry could not be unpacked (its file is then removed)."""
    written = 0
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        # never through a link: none is unpacked, so one there is not ours
        dst = open(os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644), "wb")
    except (OSError, ValueError) as exc:
        return 0, Refusal(Why.WRITE, entry.name, detail=getattr(exc, "strerror", None) or str(exc))
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
                        refusal = Refusal(Why.TOO_BIG, entry.name)
                        break
                    try:
                        dst.write(chunk)
                    except OSError as exc:
                        refusal = Refusal(Why.WRITE, entry.name, detail=exc.strerror or str(exc))
    if refusal is not None:
        destination.unlink(missing_ok=True)
    return written, refusal


def _unreadable(entry: Entry, exc: Exception) -> Refusal:
    text = str(exc)
    if isinstance(exc, RuntimeError) and "password" in text.lower():
        return Refusal(Why.PASSWORD, entry.name)
    if isinstance(exc, NotImplementedError):
        return Refusal(Why.METHOD, entry.name, detail=text)
    if "crc" in text.lower():
        return Refusal(Why.DAMAGED, entry.name, detail="CRC check failed")
    if isinstance(exc, EOFError) or not text:
        return Refusal(Why.DAMAGED, entry.name, detail="the zip is cut short")
    return Refusal(Why.DAMAGED, entry.name, detail=text)


def _size(n: int) -> str:
    if n >= 1 << 30 and not n % (1 << 30):
        return f"{n >> 30} GB"
    if n >= 1 << 20:
        return f"{n >> 20} MB"
    return f"{n} bytes"


def reason(r: Refusal, hint: bool = False) -> str:
    """A refused entry of a class's zip, in a teacher's words (``hint``: and what the student can do)."""
    entry = f"the zip entry {r.name!r}"
    text, advice = {
        Why.OUTSIDE: (f"{entry} points outside its folder", "zip the folder's files, not paths leading out of it"),
        Why.LINK: (f"{entry} is a symbolic link", "hand in plain files"),
        Why.DAMAGED: (f"{entry} is damaged ({r.detail})", "zip the files again"),
        Why.PASSWORD: (f"{entry} is protected by a password", "zip the files without a password"),
        Why.METHOD: (f"{entry} is compressed in a way the grader cannot read ({r.detail})",
                   "zip the files with the usual (deflate) compression"),
        Why.ENTRY_SIZE: (f"{entry} is larger than {_size(r.limit)}", ""),
        Why.SIZE: (f"the student's files come to more than {_size(r.limit)} (at {entry})", ""),
        Why.FILES: (f"the student's folder holds more than {r.limit} files (at {entry})", ""),
        Why.CLASS: (f"not unpacked: the whole zip holds more than {r.detail} (from {entry} on)", ""),
        Why.WRITE: (f"{entry} could not be unpacked ({r.detail})", ""),
    }[r.kind]
    return f"{text}; {advice}" if hint and advice else text


def _student_reason(r: Refusal, archive: Path, max_bytes: int, max_files: int) -> str:
    """A refused entry of one student's zip."""
    if r.kind is Why.OUTSIDE:
        return (f"{archive.name} holds a file outside its folder ({r.name!r}); "
                "zip the folder's files, not paths leading out of it")
    if r.kind is Why.LINK:
        return f"{archive.name} holds a symbolic link ({r.name}); hand in plain files"
    if r.kind is Why.FILES:
        return f"{archive.name} holds more than {max_files} files"
    if r.kind in (Why.ENTRY_SIZE, Why.SIZE, Why.CLASS):
        return f"{archive.name} unpacks to more than {_size(max_bytes)}"
    if r.kind is Why.DAMAGED:
        return f"{archive.name} is damaged ({r.name}: {r.detail})"
    return f"{archive.name}: {reason(r, hint=True)}"


def extract(archive: Path, target: Path, max_bytes: int, max_files: int) -> None:
    """Extract one student's zip into ``target`` refusing traversal, links, and more than the caps."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise SubmissionProblem(f"{archive.name} is not a zip file that can be opened") from None
    target.mkdir(parents=True, exist_ok=True)
    with zf:
        troubles, _ = unpack(zf, zip_entries(zf), target.resolve(), lambda entry: (),
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
