"""Links in a submission: the grader never follows one on a student's behalf.

A student's folder may hold links (a GitHub Classroom clone keeps those the student committed),
and the grader, often root, handles it before any sandbox exists. A link that leads to a file or
folder of the submission is kept as a link; any other (absolute, leading out by ``..``, through a
link leading out, to nothing, in a loop) is left out of the copy the programs run and of the cache
key, and named in the student's problems (``grader/files.py``).

The folders links point to here lie outside ``tmp_path``, in a folder other users may enter (as ``/``
is), so that a link the grader followed would reach them: a root-owned 0700 folder with a secret
inside (as ``/root``), a 1777 folder, the result cache, a root-only 0600 file. Before and after
grading, at every isolation level this machine offers, their modes, owners and contents are the
same, and no output holds a secret. The same holds for a teacher grading as an ordinary user
(``tests/teacher.py``), whose own files the links then point to.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REFERENCE, ROOT, SPECS, loopback_lock, python_for
from grader import files
from grader.grading import api, cache
from hostile_course import LEVELS, fingerprint, why_not
from teacher import SECRET as TEACHERS_SECRET

C_SPEC = ROOT / "examples" / "c-echo" / "c-echo.yaml"
C_SERVER = ROOT / "examples" / "c-echo" / "students" / "correct" / "server.c"
ECHO_TESTS = ["server binds UDP 9999", "server answers Hello, <data>!",
              "client sends message1..message5 and prints the replies"]
CONTROL = "bell\x07\x1b[2J"        # a link's name a terminal would obey
NOT_UTF8 = os.fsdecode(b"bad\xff")   # a name no UTF-8 output can hold as it is
SHOWN = {CONTROL: "bell\\x07\\x1b[2J", NOT_UTF8: "bad\\xff"}      # as the student is told them (grader.shown)
OUT, NOWHERE, LOOP = "a link leading out of the submission", "a link to nothing in the submission", "a link in a loop"


@pytest.fixture(params=LEVELS)
def level(request):
    if why := why_not(request.param):
        pytest.skip(why)
    return request.param


@dataclass
class Targets:
    """What a link may point to, outside the submission; a secret in each."""
    base: Path
    secret: str

    @classmethod
    def make(cls, base: Path) -> "Targets":
        base.mkdir(exist_ok=True)
        base.chmod(0o755)
        targets = cls(base, "SECRET-" + uuid.uuid4().hex)
        targets.private.mkdir(mode=0o700)
        (targets.private / "secret.h").write_text(f"#error {targets.secret}\n")     # 0644, as /root's files
        targets.sticky.mkdir()
        targets.sticky.chmod(0o1777)
        (targets.sticky / "theirs.txt").write_text(targets.secret)
        targets.cache.mkdir(mode=0o700)
        (targets.cache / ("0" * 64 + ".json")).write_text(json.dumps({"leak": targets.secret}))
        targets.root_only.write_text(f"#error {targets.secret}\n")
        targets.root_only.chmod(0o600)
        os.mkfifo(targets.fifo)
        return targets

    @property
    def private(self) -> Path:        # as /root
        return self.base / "private"

    @property
    def sticky(self) -> Path:         # as /tmp
        return self.base / "sticky"

    @property
    def cache(self) -> Path:          # the results of earlier runs (--cache-dir)
        return self.base / "cache"

    @property
    def root_only(self) -> Path:
        return self.base / "root-only.h"

    @property
    def fifo(self) -> Path:           # opening it to read would hang with no writer
        return self.base / "fifo"

    def state(self) -> dict:
        """Mode, owner and content of every target (the cache's own entries aside: grading adds some)."""
        found = {}
        for path in [self.base, self.private, *self.private.iterdir(), self.sticky, *self.sticky.iterdir(),
                     self.cache, self.cache / ("0" * 64 + ".json"), self.root_only, self.fifo]:
            st = path.lstat()
            content = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else ""
            found[str(path)] = (stat.filemode(st.st_mode), st.st_uid, st.st_gid, content)
        return found


@pytest.fixture
def targets():
    base = Path(tempfile.mkdtemp(prefix="pytest-sockgrade-links-", dir="/var/tmp" if os.path.isdir("/var/tmp") else None))
    try:
        yield Targets.make(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# link -> (its text, what the student is told); None: kept
def links_to(targets: Targets, submission: Path) -> dict[str, tuple[str, str | None]]:
    return {
        "private": (str(targets.private), OUT),                               # a root-owned 0700 folder
        "sticky": (os.path.relpath(targets.sticky, submission), OUT),         # a 1777 folder, by ..
        "results": (str(targets.cache), OUT),                                 # the result cache
        "root-only.h": (str(targets.root_only), OUT),                         # a root-only 0600 file
        "dangling": ("no-such-file", NOWHERE),
        "loop_a": ("loop_b", LOOP),
        "loop_b": ("loop_a", LOOP),
        "inside": ("src", None),                                              # a folder of the submission
        "clientudp.py": ("src/udp_client.py", None),                          # the client, graded through it
        "chain": ("inside/../private/secret.h", OUT),                         # through a link leading out
        "climbs": ("inside/../..", OUT),
        "fifo": (str(targets.fifo), OUT),
        CONTROL: ("\x1b]0;title\x07", NOWHERE),
        NOT_UTF8: (os.fsdecode(b"nowhere\xfe"), NOWHERE),
    }


def linked_student(folder: Path, targets: Targets) -> dict[str, tuple[str, str | None]]:
    """A right udp-echo submission with a link to each target."""
    (folder / "src").mkdir(parents=True)
    shutil.copy(REFERENCE / "udp_echo_server.py", folder / "serverudp.py")
    shutil.copy(REFERENCE / "udp_echo_client.py", folder / "src" / "udp_client.py")
    links = links_to(targets, folder)
    for name, (text, _) in links.items():
        (folder / name).symlink_to(text)
    return links


def grade(level: str, *args) -> subprocess.CompletedProcess:
    """The real command, with the interpreter student programs can run at ``level``."""
    python = python_for(level)
    # Another interpreter (see conftest.python_for_none) finds the grader's packages on this one's path.
    path = os.pathsep.join([str(ROOT), *(p for p in sys.path if p.endswith("site-packages"))])
    with loopback_lock(level):
        return subprocess.run([python, "-m", "grader", *map(str, args), "--isolation", level], cwd=ROOT,
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "COLUMNS": "200", "PYTHONPATH": path})


def outputs(done: subprocess.CompletedProcess, out: Path) -> str:
    """Everything the run showed or wrote: the terminal, and every file in ``out``."""
    written = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(out.rglob("*")) if p.is_file()]
    return "\n".join([done.stdout, done.stderr, *written])


def told(links: dict) -> dict[str, str]:
    return {SHOWN.get(name, name): why for name, (_, why) in links.items() if why}


def check_told(left_out: list[str], links: dict, targets: Targets) -> None:
    """One line for each link left out, naming it (escaped) and why; none for a link kept."""
    said = {line.split(": ", 1)[0]: line for line in left_out}
    assert set(said) == set(told(links)), left_out
    for name, why in told(links).items():
        assert said[name].startswith(f"{name}: {why} (to ") and said[name].endswith(") was left out"), said[name]
    assert said["private"] == f"private: {OUT} (to {targets.private}) was left out"
    assert said[SHOWN[CONTROL]] == "bell\\x07\\x1b[2J: a link to nothing in the submission " \
                                          "(to \\x1b]0;title\\x07) was left out"
    assert said[SHOWN[NOT_UTF8]].endswith("(to nowhere\\xfe) was left out")


def test_links_leading_out_are_left_out_and_nothing_they_point_to_changes(level, targets, tmp_path):
    submission = tmp_path / "class" / "mallory"
    links = linked_student(submission, targets)
    before, student = targets.state(), fingerprint(submission)
    out = tmp_path / "out"
    done = grade(level, submission, "--spec", "udp-echo", *[a for t in ECHO_TESTS for a in ("--test", t)],
                 "--cache-dir", targets.cache, "--json", out / "results.json", "--csv", out / "grades.csv",
                 "--feedback", out / "feedback", "--report", out / "report.html")
    assert done.returncode == 0, done.stdout + done.stderr
    assert targets.state() == before            # modes (the sticky bit too), owners, contents
    assert fingerprint(submission) == student
    record, = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert record["extra_data"]["isolation"] == level
    assert record["score"] == record["max_score"], record          # the links kept work in the copy
    check_told(record["extra_data"]["left_out"], links, targets)
    everything = outputs(done, out)
    assert targets.secret not in everything
    assert not set("\x07\x1b") & set(everything)
    problems = next(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8-sig"))))["problems"]
    assert f"udp-echo: private: {OUT} (to {targets.private}) was left out" in problems
    feedback = (out / "feedback" / "mallory.md").read_text(encoding="utf-8")
    assert "**Left out of what was graded:**" in feedback and "- chain: a link leading out" in feedback
    assert f"loop_a: {LOOP} (to loop_b) was left out" in done.stdout


@pytest.mark.skipif(not shutil.which("gcc"), reason="gcc is not installed")
def test_a_c_student_includes_nothing_through_a_link(level, targets, tmp_path):
    """``#include "data/secret.h"`` with ``data`` a link to a 0700 folder (as /root), and an include of a
    link to a root-only file: the compiler finds neither, and its quoted error holds no secret."""
    klass = tmp_path / "class"
    for name, link, include in (("through_folder", "data", "data/secret.h"),
                                ("through_file", "secret.h", "secret.h")):
        (klass / name).mkdir(parents=True)
        (klass / name / "server.c").write_text(f'#include "{include}"\n' + C_SERVER.read_text())
    (klass / "through_folder" / "data").symlink_to(targets.private)
    (klass / "through_file" / "secret.h").symlink_to(targets.root_only)
    before = targets.state()
    out = tmp_path / "out"
    done = grade(level, klass, "--spec", C_SPEC, "--test", "server listens on TCP 9999", "--no-cache",
                 "--cache-dir", targets.cache, "--json", out / "results.json", "--feedback", out / "feedback")
    assert done.returncode == 0, done.stdout + done.stderr
    assert targets.state() == before
    records = {r["student"]: r for r in json.loads((out / "results.json").read_text(encoding="utf-8"))}
    for name, include in (("through_folder", "data/secret.h"), ("through_file", "secret.h")):
        (test,) = records[name]["tests"]
        assert test["status"] == "failed", test
        assert test["output"].startswith(f"building your server failed: "), test["output"]
        assert f"{include}: No such file or directory" in test["output"], test["output"]
        assert len(records[name]["extra_data"]["left_out"]) == 1
    assert targets.secret not in outputs(done, out)


def test_a_links_target_outside_is_part_of_the_cache_key_and_is_never_read(targets, tmp_path):
    """Two submissions alike but for where a link outside leads have keys of their own, each told of its
    own link; hashing reads no target (the FIFO would hang a reader with no writer)."""
    other = targets.base / "other"
    other.mkdir()
    students = {}
    for name, target in (("ann", targets.private), ("bo", other), ("cy", targets.fifo)):
        students[name] = tmp_path / name
        (students[name]).mkdir()
        shutil.copy(REFERENCE / "udp_echo_server.py", students[name] / "serverudp.py")
        (students[name] / "data").symlink_to(target)
    digest = ("import sys; from grader.grading import cache; "
              "print(' '.join(cache.folder_digest(p) for p in sys.argv[1:]))")
    keys = subprocess.run([sys.executable, "-c", digest, *map(str, students.values())], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert len(set(keys)) == 3
    assert cache.folder_digest(students["ann"]) == keys[0]          # the same key each time

    level = next((lv for lv in ("sandbox", "netns") if not why_not(lv)), None)
    if level is None:
        pytest.skip("no isolation level with namespaces here")
    before = targets.state()
    kept = tmp_path / "cache"
    graded = {}
    for name in ("ann", "bo", "ann"):
        with loopback_lock(level):
            run = api.grade_class(students[name], specs=["udp-echo"], tests=["server binds UDP 9999"],
                                  isolation=level, python=python_for(level), cache_dir=str(kept))
        (result,) = run.results
        graded.setdefault(name, []).append((run.cached, result.left_out))
    assert graded["ann"][0] == (0, [f"data: {OUT} (to {targets.private}) was left out"])
    assert graded["bo"] == [(0, [f"data: {OUT} (to {other}) was left out"])]       # not ann's verdict
    assert graded["ann"][1] == (1, graded["ann"][0][1])                        # the cache does work
    assert targets.state() == before


def test_a_students_folder_read_as_a_class_takes_no_link_for_a_student(targets, tmp_path):
    """A student whose files lie in a subfolder is read as a class, each subfolder and zip a student:
    a link there is no student (its own problem says so), and nothing it points to is read."""
    level = next((lv for lv in LEVELS if not why_not(lv)), None)
    if level is None:
        pytest.skip("no isolation level here")
    with zipfile.ZipFile(targets.private / "theirs.zip", "w") as z:     # another student's, say
        z.writestr("serverudp.py", f"print({targets.secret!r})\nraise SystemExit(1)\n")
    mallory = tmp_path / "mallory"
    (mallory / "hw").mkdir(parents=True)
    shutil.copy(REFERENCE / "udp_echo_server.py", mallory / "hw" / "serverudp.py")
    (mallory / "data").symlink_to(targets.private)
    (mallory / "theirs.zip").symlink_to(targets.private / "theirs.zip")
    (mallory / "submission_metadata.yml").symlink_to(targets.private / "secret.h")
    before = targets.state()
    out = tmp_path / "out"
    done = grade(level, mallory, "--spec", "udp-echo", "--test", "server binds UDP 9999",
                 "--cache-dir", targets.cache, "--json", out / "results.json")
    assert done.returncode == 0, done.stdout + done.stderr
    records = {r["student"]: r for r in json.loads((out / "results.json").read_text(encoding="utf-8"))}
    assert records["hw"]["score"] == records["hw"]["max_score"]
    assert records["data"]["extra_data"]["error"] == "data is a link: not graded"
    assert records["theirs"]["extra_data"]["error"] == "theirs.zip is a link: not graded"
    assert targets.secret not in outputs(done, out)
    assert targets.state() == before


# -- the rule itself, on the file system alone ---------------------------------------------------------
def test_the_rule_keeps_links_inside_and_leaves_out_the_others(tmp_path):
    root = tmp_path / "sub"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.py").write_text("x")
    (tmp_path / "outside").mkdir()
    layout = {
        "to_file": ("a/b/f.py", files.FILE), "to_folder": ("a", files.DIR), "to_self": (".", files.DIR),
        "a/up": ("..", files.DIR), "a/b/around": ("../../a/./b//f.py", files.FILE),
        "hop": ("to_folder/b", files.DIR), "hop2": ("hop/../b/f.py", files.FILE),      # a/b/.. is a
        "absolute_inside": (str(root / "a"), None), "out": ("../outside", None), "a/out2": ("up/..", None),
        "file_as_folder": ("to_file/x", None), "trailing": ("a/b/f.py/", None), "self_loop": ("self_loop", None),
        "via_out": ("out/x", None), "pycache": ("__pycache__/m.pyc", None),
    }
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "m.pyc").write_text("x")
    for name, (text, _) in layout.items():
        (root / name).symlink_to(text)
    taken = files.snapshot(root)
    kept = {e.path for e in taken.entries if e.kind == files.LINK}
    assert kept == {name for name, (_, kind) in layout.items() if kind}
    assert set(taken.left_out) == {name for name, (_, kind) in layout.items() if not kind}
    for name, (_, kind) in layout.items():
        assert files.leads_to(root, files.Entry(name, files.LINK, 0, 0, layout[name][0])) == kind, name


def test_the_copy_has_the_modes_the_key_records_and_touches_nothing_outside(tmp_path):
    root, dest, outside = tmp_path / "sub", tmp_path / "copy", tmp_path / "outside"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg").chmod(0o700)
    (root / "run.sh").write_text("echo hi")
    (root / "run.sh").chmod(0o700)
    (root / "pkg" / "m.py").write_text("x = 1")
    (root / "pkg" / "m.py").chmod(0o600)
    outside.mkdir()
    outside.chmod(0o1777)
    (root / "out").symlink_to(outside)
    (root / "mod").symlink_to("pkg/m.py")
    os.mkfifo(root / "pipe")
    dest.mkdir()
    files.copy(root, str(dest))
    modes = {p.relative_to(dest).as_posix(): stat.S_IMODE(p.lstat().st_mode) for p in dest.rglob("*")
             if not p.is_symlink()}
    assert modes == {"pkg": 0o755, "pkg/m.py": 0o644, "run.sh": 0o755}
    assert os.readlink(dest / "mod") == "pkg/m.py" and not (dest / "out").exists() and not (dest / "pipe").exists()
    assert stat.S_IMODE(outside.stat().st_mode) == 0o1777


def test_folders_nested_too_deep_are_left_out_and_said_so(tmp_path):
    deep = tmp_path / "sub"
    path = deep
    for _ in range(files.MAX_DEPTH + 2):
        path = path / "d"
    path.mkdir(parents=True)
    taken = files.snapshot(deep)
    assert max(e.path.count("/") for e in taken.entries) == files.MAX_DEPTH - 1
    assert [why.split(": ", 1)[1] for why in taken.problems()] == [
        f"folders nested more than {files.MAX_DEPTH} deep were left out"]


# -- grade similar ------------------------------------------------------------------------------------
def test_similar_reads_no_file_through_a_link(targets, tmp_path):
    """mallory's server is a link to a file outside the class (another student's, with a secret): it is
    neither read nor compared."""
    klass = tmp_path / "class"
    for name in ("alice", "bob"):      # one copy, changed from the handout (kept unchanged, it pairs with no one)
        (klass / name).mkdir(parents=True)
        (klass / name / "serverudp.py").write_text((REFERENCE / "udp_echo_server.py").read_text()
                                                   + "\n\ndef shout(text):\n    return text.upper() + '!!!'\n")
    (klass / "mallory").mkdir()
    stolen = targets.private / "serverudp.py"
    stolen.write_text((REFERENCE / "udp_echo_server.py").read_text() + f"# {targets.secret}\n")
    (klass / "mallory" / "serverudp.py").symlink_to(stolen)
    before = targets.state()
    done = subprocess.run([sys.executable, "-m", "grader", "similar", str(klass), "--spec", str(SPECS / "udp-echo.yaml"),
                           "--json", "-", "--report", str(tmp_path / "similar.html")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    pairs = json.loads(done.stdout)
    assert {(p["a"], p["b"]) for p in pairs} == {("alice", "bob")}
    assert targets.secret not in done.stdout + done.stderr + (tmp_path / "similar.html").read_text(encoding="utf-8")
    assert targets.state() == before


# -- as an ordinary user ------------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["sandbox", "netns"])
def test_as_an_ordinary_user_links_to_the_teachers_files_are_left_out(teacher, level):
    """The grader as a teacher's own user (tests/teacher.py): links to the teacher's 0700 folder, 0600
    file, cache and home are left out, nothing of them changes or shows, and a C program includes
    nothing through them."""
    done = teacher.python("from grader.runner import isolation; print(' '.join(isolation.available_levels()))")
    if level not in done.stdout.split():
        pytest.skip(f"level {level} is not available to an ordinary user here")
    work = teacher.workspace()
    targets = Targets.make(work / "targets")
    submission = work / "class" / "mallory"
    links = linked_student(submission, targets)
    (submission / "home").symlink_to(teacher.home)
    links["home"] = (str(teacher.home), OUT)
    klass = work / "c-class"
    (klass / "through_file").mkdir(parents=True)
    (klass / "through_file" / "server.c").write_text('#include "secret.h"\n' + C_SERVER.read_text())
    (klass / "through_file" / "secret.h").symlink_to(targets.root_only)       # the teacher's own 0600 file
    out = work / "out"
    out.mkdir()
    teacher.give(work)
    targets.sticky.chmod(0o1777)          # lchown kept it; said again for the reader
    before, student = targets.state(), fingerprint(submission)
    done = teacher.run([submission, "--spec", "udp-echo", *[a for t in ECHO_TESTS for a in ("--test", t)],
                        "--isolation", level, "--cache-dir", targets.cache, "--json", out / "results.json",
                        "--feedback", out / "feedback"], cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert targets.state() == before and fingerprint(submission) == student
    record, = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert record["score"] == record["max_score"], record
    check_told(record["extra_data"]["left_out"], links, targets)
    if shutil.which("gcc"):
        built = teacher.run([klass, "--spec", C_SPEC, "--test", "server listens on TCP 9999", "--isolation", level,
                             "--no-cache", "--cache-dir", targets.cache, "--json", out / "c.json"], cwd=work)
        assert built.returncode == 0, built.stdout + built.stderr
        (c_record,) = json.loads((out / "c.json").read_text(encoding="utf-8"))
        assert "secret.h: No such file or directory" in c_record["tests"][0]["output"], c_record
        done.stdout += built.stdout + built.stderr
    everything = outputs(done, out)
    assert targets.secret not in everything and TEACHERS_SECRET not in everything
    assert targets.state() == before
