"""Shared fixtures: the shipped specs, a grading engine, submissions made of reference programs."""
from __future__ import annotations

import contextlib
import os
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.specfile import catalog
from grader.grading.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
REFERENCE = ROOT / "reference"
EXAMPLES = ROOT / "submissions_example"

# The reference programs renamed as a student would hand them in.
REFERENCE_AS_STUDENT = {
    "tcp-echo-threaded": {"serverthread.py": "tcp_echo_server.py", "client.py": "tcp_echo_client.py"},
    "udp-echo": {"serverudp.py": "udp_echo_server.py", "clientudp.py": "udp_echo_client.py"},
    "udp-contacts": {"contactserverudp.py": "udp_contact_server.py",
                     "contactclientudp.py": "udp_contact_client.py"},
    "tcp-contacts-threaded": {"contactserver.py": "tcp_contact_server.py",
                              "contactclient.py": "tcp_contact_client.py"},
}


def python_for_none() -> str | None:
    """An interpreter that can grade at level none here: level none runs student programs as a user of
    their own, so it needs a runtime other users can reach (a pyenv under a 0700 /root is not)."""
    import subprocess
    import sys
    from grader.runner import isolation
    for python in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(python) or isolation.none_problem(python):
            continue
        version = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True).stdout.strip()
        if version == str(tuple(sys.version_info[:2])):
            return python
    return None


NONE_PYTHON = python_for_none()


def python_for(level: str | None) -> str:
    """The interpreter student programs run with at ``level``."""
    import sys
    return (NONE_PYTHON or sys.executable) if level == "none" else sys.executable


@contextlib.contextmanager
def loopback_lock(level: str | None):
    """At level none, tests use port 9999 of the machine's own loopback: one grading at a time
    across the test processes (pytest-xdist) of this machine."""
    if level != "none":
        yield
        return
    import fcntl
    import tempfile
    with open(os.path.join(tempfile.gettempdir(), "pytest-sockgrade-loopback.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# Test programs take --port N, as a reference program must, and otherwise use the course's 9999.
PORT_ARG = "import sys\nPORT = int(sys.argv[sys.argv.index('--port') + 1]) if '--port' in sys.argv else 9999\n"


def threaded_tcp_server(serve: str) -> str:
    """Source of a threaded TCP server on PORT: ``serve`` defines ``serve(conn)``, run for each connection."""
    return PORT_ARG + "import socket, threading\n\n" + textwrap.dedent(serve) + textwrap.dedent("""
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', PORT))
        s.listen(5)
        while True:
            conn, _ = s.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
    """)


def pytest_unconfigure(config):
    """The suite leaves the temporary folder as it found it: the scratch folders of the gradings its
    tests kill outright (on purpose, with kill -9) are swept once they are gone, as the next grading
    would (``grader.scratch``); in each test process as it ends, and last in the one that ran them."""
    from grader import scratch
    scratch.sweep()


@pytest.fixture(scope="session", autouse=True)
def own_cache_home(tmp_path_factory):
    """Gradings that use the default cache folder (``--no-cache`` writes what it graded) keep it out of
    the user's home: ~/.cache/sockgrade becomes a folder of the test session's."""
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def specs():
    return {s.id: s for s in catalog.load_all(SPECS)}


@pytest.fixture(scope="session")
def engine():
    with Engine() as e:
        yield e


def make_submission(folder: Path, files: dict[str, str | Path]) -> Path:
    """A student folder: name -> source text, or a Path to copy."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = folder / name
        if isinstance(content, Path):
            shutil.copy(content, target)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def reference_submission(tmp_path):
    def build(spec_id: str) -> Path:
        files = {name: REFERENCE / ref for name, ref in REFERENCE_AS_STUDENT[spec_id].items()}
        return make_submission(tmp_path / f"ref-{spec_id}", files)
    return build


# A class graded once per session, read by tests/test_batch.py and tests/test_reports.py.
from classbuild import graded_class  # noqa: E402,F401


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker``: what a test left running."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel of the repository's tracked files, built once for the session's test processes."""
    from installs import shared_wheel
    return shared_wheel(tmp_path_factory)


@pytest.fixture(scope="session")
def teacher(wheel):
    """An ordinary user with a home and a virtualenv of their own, who grades (tests/teacher.py)."""
    from teacher import Teacher
    with Teacher.made(wheel) as made:
        yield made
