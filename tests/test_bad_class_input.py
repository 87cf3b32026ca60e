"""Bad input is one student's problem: a class zip with a bad entry, a cache that cannot be written.

Whatever one student hands in (a link, a path leading out, a damaged or huge file in the class's
"download all" zip) becomes that student's "grading failed" record with the reason, and the others
are graded; an entry in no student's folder is skipped with a note; a cache that cannot be written
is a warning, and every output is still written.
"""
import csv
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from classbuild import EXAMPLES, JOBS, ROOT, grade
from grader.grading import api
from grader.specfile import catalog
from grader.input import classroom
from grader.grading import cache as cache_module
from grader.input.classroom import open_class

SPECS = catalog.load_all()
TEST = "server binds UDP 9999"            # one short test: 2 points; alice and mallory pass, frank fails
SHORT = ("--spec", "udp-echo", "--test", TEST, "-j", JOBS)
# A run with --no-cache --test merges its test into a cached record of the whole spec when there is one
# (another test's grading of alice may have left one in the session's cache): these use a cache of their own.
GOOD = {"alice": 2, "frank": 0, "mallory": 2}


def marker(folder: str) -> bytes:
    """A line only this student's file holds, to find its bytes in the zip."""
    return f"# {folder}'s own copy, byte for byte\n".encode()


# -- building the zips ---------------------------------------------------------
def add_student(z: zipfile.ZipFile, folder: str, example: str = "alice") -> None:
    for path in sorted((EXAMPLES / example).iterdir()):
        if path.name in ("serverudp.py", "clientudp.py"):
            z.write(path, f"{folder}/{path.name}")


def add_link(z: zipfile.ZipFile, name: str, target: str = "/etc/passwd") -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(info, target)


def flip_byte(archive: Path, marker: bytes) -> None:
    """Damage a stored entry's data (not its header): reading it fails the CRC check."""
    raw = archive.read_bytes()
    at = raw.index(marker) + 2
    assert raw.count(marker) == 1
    archive.write_bytes(raw[:at] + bytes([raw[at] ^ 0x20]) + raw[at + 1:])


def mark_encrypted(archive: Path, name: str) -> None:
    """Set the 'encrypted' flag of ``name`` in the central directory (zipfile cannot write one)."""
    raw = bytearray(archive.read_bytes())
    at = raw.index(b"PK\x01\x02")               # the first central directory header
    while True:
        length = int.from_bytes(raw[at + 28:at + 30], "little")
        if raw[at + 46:at + 46 + length] == name.encode():
            raw[at + 8] |= 0x01
            break
        extra = int.from_bytes(raw[at + 30:at + 32], "little")
        comment = int.from_bytes(raw[at + 32:at + 34], "little")
        at += 46 + length + extra + comment
    archive.write_bytes(bytes(raw))


def bad_student(z: zipfile.ZipFile, kind: str, folder: str) -> None:
    """A student folder holding a good server and one bad entry of ``kind``."""
    server = (EXAMPLES / "alice" / "serverudp.py").read_bytes()
    if kind == "link":
        z.writestr(f"{folder}/serverudp.py", server)
        add_link(z, f"{folder}/clientudp.py")
    elif kind == "outside":
        z.writestr(f"{folder}/serverudp.py", server)
        z.writestr(f"{folder}/../../escaped.py", "print('I got out')\n")
    elif kind == "crc":
        z.writestr(f"{folder}/serverudp.py", marker(folder) + server)  # stored: the bytes are as written
    elif kind == "big":
        z.writestr(f"{folder}/serverudp.py", server)
        z.writestr(f"{folder}/big.bin", b"\0" * (51 << 20), compress_type=zipfile.ZIP_DEFLATED)
    elif kind == "password":
        z.writestr(f"{folder}/serverudp.py", server)
    elif kind == "zip":                                                 # a student's own zip, damaged
        z.writestr(f"{folder}.zip", marker(folder) + server)
    else:
        raise AssertionError(kind)


def damage(archive: Path, kind: str, folder: str) -> None:
    if kind in ("crc", "zip"):
        flip_byte(archive, marker(folder))
    elif kind == "password":
        mark_encrypted(archive, f"{folder}/serverudp.py")


REASONS = {
    "link": "the zip entry '{0}/clientudp.py' is a symbolic link",
    "outside": "the zip entry '{0}/../../escaped.py' points outside its folder",
    "crc": "the zip entry '{0}/serverudp.py' is damaged (CRC check failed)",
    "big": "the zip entry '{0}/big.bin' is larger than 50 MB",
    "password": "the zip entry '{0}/serverudp.py' is protected by a password",
    "zip": "the zip entry '{0}.zip' is damaged (CRC check failed)",
}


def class_zip(path: Path, bad: dict[str, str], wrap: str = "") -> Path:
    """alice, frank and mallory as folders (under ``wrap``), and each (student: kind) of ``bad``."""
    prefix = f"{wrap}/" if wrap else ""
    with zipfile.ZipFile(path, "w") as z:
        for name in GOOD:
            add_student(z, prefix + name, name)
        for name, kind in bad.items():
            bad_student(z, kind, prefix + name)
    for name, kind in bad.items():
        damage(path, kind, prefix + name)
    return path


def records(path: Path) -> dict[str, dict]:
    return {r["student"]: r for r in json.loads(path.read_text(encoding="utf-8"))}


def assert_good_students_graded(by_student: dict[str, dict]) -> None:
    for name, score in GOOD.items():
        record = by_student[name]
        assert not record["extra_data"]["error"], record
        assert (record["score"], record["max_score"]) == (score, 2), name


# -- finding the students (nothing graded) -------------------------------------
@pytest.mark.parametrize("kind", sorted(REASONS))
def test_a_bad_entry_is_the_problem_of_its_student_only(tmp_path, kind):
    archive = class_zip(tmp_path / "download.zip", {"bob": kind})
    found = open_class(archive, SPECS, tmp_path / "scratch")
    assert not found.single and [s.name for s in found.students] == ["alice", "bob", "frank", "mallory"]
    assert found.notes == []
    for student in found.students:
        student.prepare(tmp_path / "scratch")
        if student.name == "bob":
            assert REASONS[kind].format("bob") in student.problem, student.problem
        else:
            assert not student.problem and (student.path / "serverudp.py").is_file(), student.name
    assert not list(tmp_path.rglob("escaped.py"))


def test_a_student_over_the_caps_with_small_files(tmp_path, monkeypatch):
    monkeypatch.setattr(classroom, "MAX_STUDENT_BYTES", 10_000)
    monkeypatch.setattr(classroom, "MAX_STUDENT_FILES", 5)
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        add_student(z, "alice")
        for i in range(4):
            z.writestr(f"bob/part{i}.bin", b"x" * 4000)             # each under the cap, together over
        for i in range(7):
            z.writestr(f"carol/f{i}.py", b"pass\n")
    found = open_class(archive, SPECS, tmp_path / "scratch")
    problems = {s.name: s.problem for s in found.students}
    assert problems["alice"] == ""
    assert "more than 10000 bytes" in problems["bob"] and "'bob/part2.bin'" in problems["bob"]
    assert "more than 5 files" in problems["carol"]


def test_a_student_whose_every_entry_is_bad_is_still_listed(tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        add_student(z, "alice")
        add_student(z, "frank", "frank")
        add_link(z, "bob/serverudp.py")
        z.writestr("carol/../../x.py", "print('out')\n")
    found = open_class(archive, SPECS, tmp_path / "scratch")
    problems = {s.name: s.problem for s in found.students}
    assert problems == {"alice": "", "frank": "",
                        "bob": "the zip entry 'bob/serverudp.py' is a symbolic link; hand in plain files",
                        "carol": "the zip entry 'carol/../../x.py' points outside its folder; "
                                 "zip the folder's files, not paths leading out of it"}


def test_one_student_under_wrapping_folders_with_a_bad_entry(tmp_path):
    archive = tmp_path / "homework.zip"
    with zipfile.ZipFile(archive, "w") as z:
        add_student(z, "course/week3/alice")
        add_link(z, "course/week3/alice/notes.txt")
    found = open_class(archive, SPECS, tmp_path / "scratch")
    assert found.single and [s.name for s in found.students] == ["alice"]
    assert "the zip entry 'course/week3/alice/notes.txt' is a symbolic link" in found.students[0].problem


def test_one_students_own_zip_keeps_its_messages(tmp_path):
    archive = tmp_path / "trudy.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("serverudp.py", marker("trudy") + b"print('hi')\n")
    flip_byte(archive, marker("trudy"))
    student = classroom.Student("trudy", archive)
    student.prepare(tmp_path / "scratch")
    assert student.problem == "trudy.zip is damaged (serverudp.py: CRC check failed)"


# -- grading a class -----------------------------------------------------------
def test_each_kind_of_bad_entry_fails_only_its_student(tmp_path):
    kinds = {"bob": "link", "carol": "big", "dave": "crc", "eve": "outside", "oscar": "zip", "peggy": "password"}
    archive = class_zip(tmp_path / "download.zip", kinds)
    out = tmp_path / "out"
    proc = grade(archive, *SHORT, "--no-cache", "--cache-dir", tmp_path / "cache", "--json", out / "r.json",
                 "--csv", out / "grades.csv")
    assert proc.returncode == 0, proc.stdout + proc.stderr        # 0: grading ran, whatever the scores
    assert "Traceback" not in proc.stdout + proc.stderr
    by_student = records(out / "r.json")
    assert set(by_student) == set(GOOD) | set(kinds)
    assert_good_students_graded(by_student)
    for name, kind in kinds.items():
        record = by_student[name]
        assert record["assignment"] == "udp-echo" and record["score"] == 0
        assert REASONS[kind].format(name) in record["extra_data"]["error"], record
    with open(out / "grades.csv", encoding="utf-8-sig", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert REASONS["crc"].format("dave") in rows["dave"]["problems"]
    assert rows["alice"]["problems"] == ""
    assert "9 students; 3 graded now, 0 from the cache" in proc.stdout
    assert not list(tmp_path.rglob("escaped.py"))


def test_fail_under_counts_the_bad_students_as_not_graded(tmp_path):
    archive = class_zip(tmp_path / "download.zip", {"dave": "crc"})
    proc = grade(archive, *SHORT, "--no-cache", "--cache-dir", tmp_path / "cache", "--fail-under", 50)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    below = proc.stdout[proc.stdout.index("below 50%"):]
    assert "dave" in below and "frank" in below and "alice" not in below


def test_bad_entries_in_no_students_folder_are_skipped_with_a_note(tmp_path):
    archive = class_zip(tmp_path / "download.zip", {}, wrap="submissions")
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr("../evil.py", "print('out')\n")
        z.writestr("/tmp/sockgrade_abs_evil.py", "print('out')\n")
        z.writestr("C:/evil.py", "print('out')\n")
        z.writestr("submissions/../../evil2.py", "print('out')\n")
        add_link(z, "submissions/README.txt")
        add_link(z, "top-link")
    out = tmp_path / "out"
    proc = grade(archive, *SHORT, "--no-cache", "--cache-dir", tmp_path / "cache", "--json", out / "r.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    by_student = records(out / "r.json")
    assert set(by_student) == set(GOOD)
    assert_good_students_graded(by_student)
    for name in ("../evil.py", "/tmp/sockgrade_abs_evil.py", "C:/evil.py", "submissions/../../evil2.py",
                 "submissions/README.txt", "top-link"):
        assert f"note: download.zip: the zip entry '{name}'" in proc.stdout, name
    assert proc.stdout.count("so it was skipped") == 6
    assert not list(tmp_path.rglob("evil*.py")) and not Path("/tmp/sockgrade_abs_evil.py").exists()


# -- a cache that cannot be written --------------------------------------------
@pytest.fixture
def small_class(tmp_path) -> Path:
    klass = tmp_path / "class"
    for name in GOOD:
        shutil.copytree(EXAMPLES / name, klass / name)
    return klass


def assert_outputs_written(out: Path) -> None:
    assert_good_students_graded(records(out / "r.json"))
    assert (out / "grades.csv").read_text(encoding="utf-8-sig").count("\n") == 1 + len(GOOD)


WARNING = "warning: results could not be kept in the cache ("


def test_a_cache_dir_that_cannot_be_made_is_a_warning(small_class, tmp_path):
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    cache = tmp_path / "a-file" / "cache"                  # mkdir fails, even for root
    out = tmp_path / "out"
    proc = grade(small_class, *SHORT, "--cache-dir", cache, "--json", out / "r.json", "--csv", out / "grades.csv")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.count(WARNING) == 1
    assert f"{WARNING}{cache}): Not a directory" in proc.stdout
    assert_outputs_written(out)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0500 folder")
def test_a_read_only_cache_dir_is_a_warning(small_class, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o500)
    out = tmp_path / "out"
    try:
        proc = grade(small_class, *SHORT, "--cache-dir", cache, "--json", out / "r.json", "--csv", out / "grades.csv")
    finally:
        cache.chmod(0o700)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(WARNING) == 1 and "Permission denied" in proc.stdout
    assert_outputs_written(out)


def can_mount_tmpfs(where: Path) -> bool:
    where.mkdir()
    try:
        proc = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs '{where}'"],
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def test_a_full_cache_is_a_warning(small_class, tmp_path):
    """A tmpfs of 64 KB, filled up, mounted in a mount namespace of the grader's own."""
    disk = tmp_path / "disk"
    if not can_mount_tmpfs(disk):
        pytest.skip("cannot mount a tmpfs here (needs root and unshare -m)")
    out = tmp_path / "out"
    grade_cmd = [sys.executable, "-m", "grader", str(small_class), *map(str, SHORT), "--cache-dir",
                 str(disk / "cache"), "--json", str(out / "r.json"), "--csv", str(out / "grades.csv")]
    script = (f'mount -t tmpfs -o size=64k tmpfs "$1" && {{ head -c 1000000 /dev/zero > "$1/fill"; true; }} '
              '&& shift && exec "$@"')
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(disk), *grade_cmd], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(WARNING) == 1
    assert f"{WARNING}{disk / 'cache'}): No space left on device" in proc.stdout
    assert_outputs_written(out)


class FullDisk:
    """``json`` for grader.grading.cache, on a disk that fills up halfway through each entry."""

    def __getattr__(self, name):
        return getattr(json, name)

    @staticmethod
    def dump(obj, f, **kwargs):
        f.write('{"student": ')
        f.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_cache_through_the_api(small_class, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setattr(cache_module, "json", FullDisk())
    run = api.grade_class(small_class, specs=["udp-echo"], tests=[TEST], cache_dir=str(cache), jobs=JOBS)
    assert run.warnings == [f"{WARNING}{cache}): No space left on device"]
    assert {r.student: r.score for r in run.results} == GOOD
    assert list(cache.iterdir()) == []                     # no partial entry left behind
    monkeypatch.undo()
    again = api.grade_class(small_class, specs=["udp-echo"], tests=[TEST], cache_dir=str(cache), jobs=JOBS)
    assert (again.graded, again.cached, again.warnings) == (3, 0, [])


def test_a_corrupt_cache_entry_is_a_miss(small_class, tmp_path):
    cache = tmp_path / "cache"
    first = api.grade_class(small_class, specs=["udp-echo"], tests=[TEST], cache_dir=str(cache), jobs=JOBS)
    assert (first.graded, first.cached, first.warnings) == (3, 0, [])
    entries = sorted(cache.glob("*.json"))
    assert len(entries) == 3
    for entry, junk in zip(entries, ('{"student": ', "[1, 2, 3]")):     # cut short, and not a result
        entry.write_text(junk, encoding="utf-8")
    again = api.grade_class(small_class, specs=["udp-echo"], tests=[TEST], cache_dir=str(cache), jobs=JOBS)
    assert {r.student: r.score for r in again.results} == GOOD
    assert (again.graded, again.cached, again.warnings) == (2, 1, [])
