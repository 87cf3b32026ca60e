"""No tracked file names a place outside the repository: a clone on a teacher's machine has everything the
files point to. Two kinds of path are refused:

- absolute paths of a development machine: a home folder (root's, or a user's under home or Users),
  the work folder, the course's shared folder beside the repository;
- relative paths that climb above the repository root from the file's own folder: a spec's
  ``reference:``, a path in a script or a config file, a symlink; in Markdown and HTML, a link's target
  (prose there quotes paths relative to something else, as the spec guide's example of a refused
  ``reference:`` does).

What a user's machine really has is allowed: ``/usr/bin``, ``/proc``, ``/tmp``, ``/autograder``,
``/opt/sockgrade``, ``~/.cache``, and ``/home/student``, the folder the sandbox makes for a submission.

Python files under ``tests/`` climb on purpose (zip entries like ``../../escaped.py``, a spec's reference
to ``../../../etc/passwd``, hostile students probing ``../../``): data resolved elsewhere, not from the
file's folder. They are held to the absolute paths and the shared folder only.

The forbidden names are put together at run time, so this file does not name them itself.
"""
from __future__ import annotations

import os
import posixpath
import re
import subprocess

from conftest import ROOT

START = r"(?<![\w.~/-])"                 # a path begins here, not inside a longer name (homework/)
NAME = r"[\w.~-][^\s'\"`)\]>,;]*"        # a path component and what follows it
UP = re.escape("..") + "/"

ABSOLUTE = re.compile(START + "(?:" + "|".join([
    re.escape("/" + "work") + r"\b[^\s'\"`)\]>,;]*",       # the development machine's work folder
    re.escape("/" + "root" + "/") + NAME,                # root's home
    "/(?:" + "home" + "|" + "Users" + ")/" + "(?!student\\b)" + NAME,   # a user's home
]) + ")")
SHARED = re.compile(START + f"(?:{UP})+" + "shared" + r"\b")   # the course's shared folder beside the repo
CLIMB = re.compile(START + f"(?:{UP})+" + f"(?:{NAME})?")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)"                       # [text](target)
                  r"|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$"           # [label]: target
                  r"|\b(?:href|src)\s*=\s*[\"']([^\"']+)", re.M)   # HTML
URL = re.compile(r"^[a-zA-Z][\w+.-]*:|^#")                     # a scheme (https:, mailto:) or an anchor


def leaves_repository(path: str, folder: str) -> bool:
    """Does ``path``, read from ``folder`` (relative to the root), end above the root?"""
    return posixpath.normpath(posixpath.join(folder or ".", path)).split("/")[0] == ".."


def link_targets(text: str) -> list[str]:
    targets = (next(filter(None, m.groups())) for m in LINK.finditer(text))
    return [t.split("#")[0] for t in targets if not URL.match(t)]


def outside_paths(text: str, relative_to: str, climbs: str = "all") -> list[str]:
    """The paths in ``text`` that name a place outside the repository, for a file in folder ``relative_to``.
    ``climbs``: which relative paths are read from that folder: "all", "links" (Markdown, HTML) or "none"."""
    found = [m.group(0) for m in ABSOLUTE.finditer(text)] + [m.group(0) for m in SHARED.finditer(text)]
    relative = {"all": [m.group(0) for m in CLIMB.finditer(text)], "links": link_targets(text), "none": []}[climbs]
    return found + [path for path in relative if leaves_repository(path, relative_to)]


def climbs_checked(name: str) -> str:
    if name.startswith("tests/") and name.endswith(".py"):
        return "none"
    return "links" if name.endswith((".md", ".html", ".htm", ".rst")) else "all"


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name]


def test_the_checker_refuses_outside_paths_and_allows_a_users_machine():
    home, work = "/" + "root", "/" + "work"
    refused = [f"{home}/.pyenv/versions/3.11.7/bin/python", f"{work}/main/specs/udp-echo.yaml",
               "/" + "home/alice/course/specs", "see [the course](" + "../" * 2 + "notes.md)",
               "../" + "shared/course/README.md", "/" + "Users/bob/Downloads/class.zip", f"cd {work} && ls"]
    allowed = ["/usr/bin/python3", "/proc/stat", "/tmp/x", "/autograder/submission", "/opt/sockgrade/bin/grade",
               "~/.cache/sockgrade/results", "/home/student/serverudp.py", "reference: ../reference/x.py",
               "homework/", f"a pyenv under a 0700 {home} is not", "course" + work + "/x", work + "space/x"]
    for text in refused:
        assert outside_paths(text, "docs"), text
    for text in allowed:
        assert not outside_paths(text, "specs"), text
    assert not outside_paths("../../escaped.py", "tests", climbs="none")
    assert outside_paths("../" + "shared/x", "tests", climbs="none")
    up = "../" * 2
    assert outside_paths(f"[notes]({up}notes.md#top)\n[n]: {up}n.md\n<a href='{up}x.html'>", "docs", "links") == [
        f"{up}notes.md", f"{up}n.md", f"{up}x.html"]
    assert not outside_paths(f"a refused `reference:` such as `{up}secret.py`; [ok](../README.md), "
                             f"[web](https://example.org/{up}x)", "docs", "links")


def test_no_tracked_file_names_a_path_outside_the_repository():
    offenders = {}
    files = tracked_files()
    assert "README.md" in files and "specs/udp-echo.yaml" in files
    for name in files:
        path = ROOT / name
        folder = posixpath.dirname(name)
        if path.is_symlink():
            target = os.readlink(path)
            if posixpath.isabs(target) or leaves_repository(target, folder):
                offenders[name] = [f"symlink to {target}"]
            continue
        if not path.is_file():          # deleted in the work tree, not yet committed
            continue
        data = path.read_bytes()
        if b"\0" in data:               # binary
            continue
        found = outside_paths(data.decode("utf-8", errors="replace"), folder, climbs_checked(name))
        if found:
            offenders[name] = found
    assert not offenders, "paths outside the repository (name them relative to it instead): " + repr(offenders)

