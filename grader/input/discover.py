"""Which files of a submission play which role, and which specs apply.

A role's file is found by its names (any case). When a student handed in none
of a spec's files by name, the Python files they did hand in are searched for
ones that fit a Python role (one without a ``run`` command) anyway (``misnamed``): the program must make sockets of
the assignment's transport, a server must bind the assignment's port and a
client must not bind, and a file whose name is close to the role's names wins
over one that merely fits. A file named for a role of another spec of the run
is never taken.

A role may take several forms (a Python file, a C file with its commands): the name of the file
handed in picks the form. A file named as a role's files in a language none of its forms takes
(``kvserver.c`` where the role takes ``kvserver.py``) is found too (``other_forms``), so that the
student is told why it was not graded.
"""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from grader import files as submission_files
from grader.shown import name_text
from grader.spec.model import language_of
from grader.spec.modes import Transport

MAX_DEPTH = 2    # a zip often wraps the files in one or two folders
MAX_SOURCE_BYTES = 256 << 10


def find_role_file(submission: Path, names, handed=None) -> Path | None:
    """The shallowest file whose name matches one of ``names`` (case-insensitive); ``handed``: the
    submission's ``_files``, when already listed."""
    wanted = {n.lower() for n in names}
    found = [p for p in (handed if handed is not None else _files(submission)) if p.name.lower() in wanted]
    return found[0] if found else None


def role_files(submission: Path, spec) -> dict[str, Path | None]:
    handed = _files(submission)
    return {name: _role_file(submission, role, handed) for name, role in spec.roles.items()}


def _role_file(submission: Path, role, handed) -> Path | None:
    """The role's file: of its forms' files handed in, the shallowest; at one depth, the first form's."""
    found = [p for p in (find_role_file(submission, form.files, handed) for form in role.forms) if p is not None]
    return min(found, key=lambda p: len(p.relative_to(submission).parts)) if found else None


def form_notes(submission: Path, spec) -> list[str]:
    """What a student reads of the files of a role's forms that were not graded: a file in a language
    the role does not take, and a second form's file beside the one graded."""
    handed = _files(submission)
    def named(path: Path) -> str:
        return name_text(path.relative_to(submission).as_posix())

    notes = [form_problem(spec, role, named(path)) for role, path in other_forms(submission, spec).items()]
    for name, role in spec.roles.items():
        graded = _role_file(submission, role, handed)
        for form in role.forms:
            path = find_role_file(submission, form.files, handed)
            if path is not None and path != graded:
                notes.append(f"{named(path)} also handed in for the {name}; {named(graded)} was graded")
    return notes


def applies(submission: Path, spec) -> bool:
    """A spec applies when the student handed in a file for any of its roles."""
    return any(path is not None for path in role_files(submission, spec).values())


def other_forms(submission: Path, spec) -> dict[str, Path]:
    """Role -> a file named as one of the role's files but in a language none of its forms takes
    (``kvserver.c`` for a role of ``kvserver.py``), for each role the student handed in no file for."""
    handed = _files(submission)
    found = {}
    for name, role in spec.roles.items():
        if _role_file(submission, role, handed) is not None:
            continue
        stems = {Path(f).stem.lower() for f in role.files}
        taken = {language_of(f) for f in role.files}
        for path in handed:
            language = language_of(path.name)
            if language and language not in taken and path.stem.lower() in stems:
                found[name] = path
                break
    return found


def form_problem(spec, role: str, file_name: str) -> str:
    """What a student reads of a file of a form the role does not take."""
    languages = spec.roles[role].languages
    whose = f" for its {role}" if len(spec.roles) > 1 else ""
    return f"{file_name} handed in; this assignment takes {languages}{whose}"


def misnamed(submission: Path, spec, taken=()) -> dict[str, Path]:
    """Files under other names that fit the roles of ``spec`` the student handed in no file for.

    ``taken``: file names of other specs' roles, never used here.
    """
    return misnamed_across(submission, [spec], taken).get(spec.id, {})


def misnamed_across(submission: Path, specs, taken=()) -> dict[str, dict[str, Path]]:
    """For each spec, role -> a file under another name that fits it; no file goes to two roles.

    A fitting file makes sockets of the spec's transport (a server binds its port; a client does not
    bind); among fitting ones, the closest by name and by likeness to the role's reference wins.
    """
    taken = {n.lower() for n in taken} | {n.lower() for s in specs for r in s.roles.values() for n in r.files}
    # never a link's: reading through one could read files that are not the student's
    sources = {p: _source(submission, p) for p in _files(submission, links=False)
               if p.suffix.lower() == ".py" and p.name.lower() not in taken}
    sources = {p: text for p, text in sources.items() if text is not None}
    words = {p: _words(text) for p, text in sources.items()}
    options = []
    for spec in specs:
        named = role_files(submission, spec)
        for name, role in spec.roles.items():
            if named[name] is not None or role.python_form is None:     # no Python file fits a C role
                continue
            reference = _reference_words(role.reference)
            for path, text in sources.items():
                if _fits(text, spec, _is_server(name, role)):
                    score = _closeness(path, role.files) + _likeness(words[path], reference)
                    options.append((-score, len(path.parts), str(path), spec.id, name, path))
    found: dict[str, dict[str, Path]] = {}
    used: set[Path] = set()
    for *_, spec_id, name, path in sorted(options):
        if path in used or name in found.get(spec_id, {}):
            continue
        found.setdefault(spec_id, {})[name] = path
        used.add(path)
    return found


def _files(submission: Path, links: bool = True) -> list[Path]:
    """Files, shallowest first and by name within a level, down to MAX_DEPTH folders, never through a
    link (``links``: a link to a file of the submission counts as one, as it does in the copy graded)."""
    found, level = [], [""]
    for _ in range(MAX_DEPTH + 1):
        entries = [e for folder in level for e in submission_files.listing(submission, folder)]
        found += sorted(Path(submission, e.path) for e in entries
                        if (submission_files.is_file(submission, e) if links else e.kind == submission_files.FILE))
        level = sorted(e.path for e in entries if e.kind == submission_files.DIR
                       and not e.name.startswith((".", "__")))
    return found


def _is_server(name: str, role) -> bool:
    return "server" in name.lower() or any("server" in f.lower() for f in role.files)


def _source(submission: Path, path: Path) -> str | None:
    """A program's text, or None when it cannot be read or is too large to be one."""
    try:
        with os.fdopen(submission_files.open_file(submission, path.relative_to(submission).as_posix()), "rb") as f:
            data = f.read(MAX_SOURCE_BYTES + 1)
    except OSError:
        return None
    return None if len(data) > MAX_SOURCE_BYTES else data.decode("utf-8", errors="replace")


def _reference_words(reference: Path | None) -> set[str]:
    """The reference program's ``_words`` (its first MAX_SOURCE_BYTES), none when there is none to read."""
    try:
        return _words(Path(reference).read_text(encoding="utf-8", errors="replace")[:MAX_SOURCE_BYTES]) \
            if reference else set()
    except OSError:
        return set()


def _fits(text: str, spec, server: bool) -> bool:
    code = _code(text)
    if "socket" not in code:
        return False
    udp = "SOCK_DGRAM" in code
    if udp != (spec.transport == Transport.UDP):
        return False
    binds = re.search(r"\.bind\s*\(", code) is not None
    if not server:
        return not binds or ".connect" in code
    return binds and re.search(rf"\b{spec.port}\b", code) is not None


def _code(text: str) -> str:
    """The source without comments (a comment saying "not SOCK_DGRAM" is no socket)."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _closeness(path: Path, names) -> float:
    stem = re.sub(r"[^a-z0-9]", "", path.stem.lower())
    return max(difflib.SequenceMatcher(None, stem, re.sub(r"[^a-z0-9]", "", Path(n).stem.lower())).ratio()
               for n in names)


def _likeness(ours: set[str], theirs: set[str]) -> float:
    """Shared names and string literals with the reference program (``_words`` of each), 0..1 (a contact
    server says "add" and "Not found"; an echo server does not)."""
    return len(ours & theirs) / len(ours | theirs) if ours | theirs else 0.0


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]{2,}", _code(text))) | set(re.findall(r"['\"]([^'\"\n]{2,40})['\"]", text))
