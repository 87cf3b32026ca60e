"""What of a submission counts: one rule for the cache key, the copy students' programs run, and
every look the grader takes at a student's files.

A file the key leaves out must never reach the programs (a doctored
``__pycache__/*.pyc`` would run under the key of honest sources). FIFOs,
devices and sockets are left out too: opening one could hang the grader.

Links. The grader reads a student's folder, often as root, before any sandbox
exists, so nothing here follows a link: a folder is entered and a file opened
without following one (``O_NOFOLLOW``, relative to its folder's descriptor), a
link is read with ``readlink`` only. A link is kept, as the link it is, when
its text leads, from the link's own folder and through links of the submission
judged the same way, to a file or folder of the submission that counts. Any
other link (absolute, leading out by ``..``, through a link leading out, to
nothing, in a loop) is left out of the copy, and the student is told why in one
line (``Snapshot.left_out``: a sentence for people, its names already written
visibly). A link's text is hashed into the cache key, never what it points to.
"""
from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass, field
from typing import Callable

from grader.shown import name_text, shown

SKIPPED = ("__pycache__", ".DS_Store", "__MACOSX")
MAX_HOPS = 40            # links followed in one link's text, as the kernel follows at most
MAX_DEPTH = 64           # folders within folders; deeper ones are left out
SHOWN_CHARS = 120        # of a name or a link's text, in the reason it was left out

DIR, FILE, LINK = "dir", "file", "link"
OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC     # NONBLOCK: a FIFO never hangs us
OPEN_DIR = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC


@dataclass(frozen=True)
class Entry:
    path: str            # inside the submission, "/"-separated
    kind: str            # DIR, FILE or LINK
    mode: int
    size: int
    target: str = ""     # a link's text

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


@dataclass
class Snapshot:
    """A submission as it was read once: each folder before what it holds, by name."""
    entries: list[Entry]                                     # every folder, file and link kept
    left_out: dict[str, str] = field(default_factory=dict)   # path -> why, one line for the student

    def problems(self) -> list[str]:
        return list(self.left_out.values())

    def size(self) -> tuple[int, int]:
        """Bytes (rounded up to pages) and entries of the copy."""
        return sum(-(-e.size // 4096) * 4096 for e in self.entries), len(self.entries)


def executable(mode: int) -> bool:
    return bool(mode & 0o111)


def snapshot(root, visit: Callable[[Entry, int | None], None] | None = None) -> Snapshot:
    """Every entry under ``root`` that counts, without following any link; ``visit(entry, fd)`` is
    called on each in order (``fd``: a regular file's, opened without following, else None)."""
    found: dict[str, Entry] = {}
    deep: list[str] = []
    top = os.open(os.fspath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)   # the teacher's path
    try:
        _walk(top, "", found, deep, visit)
    finally:
        os.close(top)
    left_out = {path: f"{_named(path)}: folders nested more than {MAX_DEPTH} deep were left out"
                for path in deep}
    for entry in found.values():
        if entry.kind == LINK and (why := _judged(entry, found.get)[1]):
            left_out[entry.path] = f"{_named(entry.path)}: {why} was left out"
    return Snapshot([e for e in found.values() if e.path not in left_out], left_out)


def copy(root, dest: str) -> Snapshot:
    """Copy what counts of ``root`` into the folder ``dest`` (the grader's, empty), with the modes the
    cache key records: folders 0755, files 0644 or 0755. Each is set on the descriptor of what was
    just created, never through a name a student chose."""
    def visit(entry: Entry, fd: int | None) -> None:
        where = os.path.join(dest, entry.path)
        if entry.kind == DIR:
            os.mkdir(where, 0o700)
            made = os.open(where, OPEN_DIR)
            try:
                os.fchmod(made, 0o755)
            finally:
                os.close(made)
        elif entry.kind == FILE:
            made = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            with open(made, "wb") as out, open(fd, "rb", closefd=False) as source:
                shutil.copyfileobj(source, out)
                st = os.fstat(fd)
                os.fchmod(made, 0o755 if executable(st.st_mode) else 0o644)
                os.utime(made, ns=(st.st_atime_ns, st.st_mtime_ns))     # a build tool may compare times

    taken = snapshot(root, visit)
    for entry in taken.entries:          # the links last: each judged on the whole snapshot
        if entry.kind == LINK:
            os.symlink(entry.target, os.path.join(dest, entry.path))
    return taken


def listing(root, folder: str = "") -> list[Entry]:
    """The entries that count directly in ``folder`` (a path inside ``root``), by name; links as links."""
    fd = _open_folder(root, folder)
    try:
        return [entry for entry, _ in _entries(fd, folder + "/" if folder else "")]
    finally:
        os.close(fd)


def leads_to(root, link: Entry) -> str | None:
    """The kind (DIR or FILE) of what a link of the submission leads to, None when it is left out."""
    return _judged(link, lambda path: _entry_at(root, path))[0]


def is_file(root, entry: Entry) -> bool:
    """``entry`` is a file of the submission, or a link to one that the copy keeps."""
    return entry.kind == FILE or entry.kind == LINK and leads_to(root, entry) == FILE


def open_file(root, path: str) -> int:
    """A descriptor of the regular file ``path`` inside ``root``, reached without following any link
    (OSError otherwise)."""
    folder, _, name = path.rpartition("/")
    dir_fd = _open_folder(root, folder)
    try:
        fd = os.open(name, OPEN_FILE, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file")
    return fd


def _walk(fd: int, prefix: str, found: dict, deep: list, visit) -> None:
    for entry, child in _entries(fd, prefix, open_files=visit is not None):
        if entry.kind == DIR and entry.path.count("/") >= MAX_DEPTH:
            deep.append(entry.path)
            continue
        found[entry.path] = entry
        try:
            if visit:
                visit(entry, child)
        finally:
            if child is not None:
                os.close(child)
        if entry.kind == DIR:
            sub = os.open(entry.name, OPEN_DIR, dir_fd=fd)
            try:
                _walk(sub, entry.path + "/", found, deep, visit)
            finally:
                os.close(sub)


def _entries(fd: int, prefix: str, open_files: bool = False):
    """(entry, a regular file's descriptor when ``open_files``, else None) for each entry of the open
    folder ``fd`` that counts."""
    with os.scandir(fd) as names:
        listed = sorted(e.name for e in names)
    for name in listed:
        if name in SKIPPED:
            continue
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISLNK(st.st_mode):
                yield Entry(prefix + name, LINK, st.st_mode, st.st_size, os.readlink(name, dir_fd=fd)), None
            elif stat.S_ISDIR(st.st_mode):
                yield Entry(prefix + name, DIR, st.st_mode, st.st_size), None
            elif stat.S_ISREG(st.st_mode):
                child = os.open(name, OPEN_FILE, dir_fd=fd) if open_files else None
                if child is not None:
                    st = os.fstat(child)
                    if not stat.S_ISREG(st.st_mode):       # replaced since it was listed
                        os.close(child)
                        continue
                yield Entry(prefix + name, FILE, st.st_mode, st.st_size), child
        except FileNotFoundError:       # gone since it was listed
            continue


def _open_folder(root, folder: str) -> int:
    fd = os.open(os.fspath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    for part in [p for p in folder.split("/") if p]:
        try:
            sub = os.open(part, OPEN_DIR, dir_fd=fd)
        finally:
            os.close(fd)
        fd = sub
    return fd


def _entry_at(root, path: str) -> Entry | None:
    """The entry at ``path`` inside ``root`` as ``snapshot`` would record it, read from the disk."""
    folder, _, name = path.rpartition("/")
    depth = path.count("/")
    if any(p in SKIPPED for p in path.split("/")) or depth > MAX_DEPTH:
        return None
    try:
        fd = _open_folder(root, folder)
    except OSError:
        return None
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            return Entry(path, LINK, st.st_mode, st.st_size, os.readlink(name, dir_fd=fd))
        kind = DIR if stat.S_ISDIR(st.st_mode) and depth < MAX_DEPTH else FILE if stat.S_ISREG(st.st_mode) else None
        return Entry(path, kind, st.st_mode, st.st_size) if kind else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _judged(link: Entry, lookup: Callable[[str], Entry | None]) -> tuple[str | None, str]:
    """The link rule: (the kind, DIR or FILE, of what ``link`` leads to inside the submission, "") or
    (None, why it is left out). ``lookup(path)`` gives the submission's entry at a path, or None. Only
    links' texts are read, each from its link's own folder: never anything outside the submission."""
    to = f"(to {_named(link.target)})"
    out, nowhere = f"a link leading out of the submission {to}", f"a link to nothing in the submission {to}"
    folder, kind = link.path.split("/")[:-1], DIR
    pending, hops = [(link.target, None)], 0     # (a link's text, from its folder) or (None, parts left)
    while pending:
        text, parts = pending.pop()
        if text is not None:
            if text.startswith("/"):
                return None, out
            kind, parts = DIR, text.split("/")
        for i, part in enumerate(parts):
            if kind == FILE:                       # "server.py/x", "server.py/": a file is no folder
                return None, nowhere
            if part in ("", "."):
                continue
            if part == "..":
                if not folder:
                    return None, out
                folder.pop()
                continue
            entry = lookup("/".join(folder + [part]))
            if entry is None:
                return None, nowhere
            if entry.kind == LINK:
                hops += 1
                if hops > MAX_HOPS:
                    return None, f"a link in a loop {to}"
                if parts[i + 1:]:
                    pending.append((None, parts[i + 1:]))
                pending.append((entry.target, None))
                break
            folder.append(part)
            kind = entry.kind
    return kind, ""


def _named(text: str) -> str:
    """A name or a link's text in a reason: as every output shows names (``grader.shown``), cut short."""
    visible = shown(name_text(text))
    return visible if len(visible) <= SHOWN_CHARS else visible[:SHOWN_CHARS - 3] + "..."
