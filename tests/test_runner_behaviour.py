"""The runner on real processes and sockets: binding, ports, crashes, chatty and forking servers."""
import subprocess
import sys
import uuid

import pytest

from conftest import REFERENCE, loopback_lock, make_submission, processes_with, python_for
from grader.grading.engine import Engine
from grader.results import Cause, Why
from grader.runner.isolation import available_levels as levels_available

UDP_ECHO = (REFERENCE / "udp_echo_server.py").read_text()


def udp_echo_bound_to(host: str, port: int = 9999) -> str:
    return UDP_ECHO.replace("default='127.0.0.1'", f"default={host!r}").replace(
        "default=9999", f"default={port}")


def results_by_name(result):
    return {t.name: t for t in result.tests}


def test_reference_server_source_has_the_defaults_we_patch():
    assert "default='127.0.0.1'" in UDP_ECHO and "default=9999" in UDP_ECHO


@pytest.mark.parametrize("host", ["0.0.0.0", "localhost", ""])
def test_any_loopback_address_is_fine(host, tmp_path, specs, engine):
    sub = make_submission(tmp_path / "s", {"serverudp.py": udp_echo_bound_to(host)})
    tests = results_by_name(engine.grade(sub, specs["udp-echo"]))
    assert tests["server binds UDP 9999"].passed
    assert tests["server answers Hello, <data>!"].passed


def test_wrong_port_fails_startup_only_and_says_which(tmp_path, specs, engine):
    sub = make_submission(tmp_path / "s", {"serverudp.py": udp_echo_bound_to("127.0.0.1", 9998)})
    tests = results_by_name(engine.grade(sub, specs["udp-echo"]))
    startup = tests["server binds UDP 9999"]
    assert startup.cause == Why(Cause.WRONG_PORT, role="server", transport="udp", port=9998), startup.reason
    protocol = tests["server answers Hello, <data>!"]
    assert protocol.passed and any("9998" in n for n in protocol.notes)
    assert not tests["student client with student server"].passed


def test_tcp_where_udp_is_asked_is_named(tmp_path, specs, engine):
    tcp_server = (REFERENCE / "tcp_echo_server.py").read_text()
    sub = make_submission(tmp_path / "s", {"serverudp.py": tcp_server})
    result = engine.grade(sub, specs["udp-echo"])
    startup = results_by_name(result)["server binds UDP 9999"]
    assert startup.cause == Why(Cause.WRONG_TRANSPORT, role="server", transport="udp", detail="TCP 127.0.0.1:9999")
    assert all(not t.passed for t in result.tests if "client" not in t.tags)


def test_crash_at_import_is_explained(tmp_path, specs, engine):
    sub = make_submission(tmp_path / "s", {"serverudp.py": "import socket\nraise RuntimeError('boom')\n"})
    startup = results_by_name(engine.grade(sub, specs["udp-echo"]))["server binds UDP 9999"]
    assert startup.cause == Why(Cause.CRASHED, role="server", detail="RuntimeError: boom (serverudp.py, line 2)")
    assert startup.reason == "your server exited (code 1) before binding a port: RuntimeError: boom (serverudp.py, line 2)"


def test_python2_is_recognised(tmp_path, specs, engine):
    sub = make_submission(tmp_path / "s", {"serverudp.py": 'print "Bind UDP on 9999"\n'})
    startup = results_by_name(engine.grade(sub, specs["udp-echo"]))["server binds UDP 9999"]
    assert startup.cause.kind is Cause.CRASHED and "this looks like Python 2 code" in startup.reason


def test_server_that_never_binds_times_out(tmp_path, specs):
    sub = make_submission(tmp_path / "s", {"serverudp.py": "import time\nwhile True: time.sleep(1)\n"})
    spec = specs["udp-echo"]
    with Engine() as engine:
        result = engine.grade(sub, spec)
    startup = results_by_name(result)["server binds UDP 9999"]
    assert startup.cause == Why(Cause.DID_NOT_BIND, role="server", transport="udp", port=9999), startup.reason


CHATTY = UDP_ECHO.replace("def main():", "def main():\n    print('x' * 1000 * 1000 * 8, flush=True)")


def test_chatty_server_never_blocks(tmp_path, specs, engine):
    assert "'x' * 1000" in CHATTY
    sub = make_submission(tmp_path / "s", {"serverudp.py": CHATTY})
    tests = results_by_name(engine.grade(sub, specs["udp-echo"]))
    assert tests["server answers Hello, <data>!"].passed


def forking_server(marker: str) -> str:
    # The server starts a grandchild that leaves the process group and session.
    spawn = ("def main():\n"
             "    import subprocess, sys\n"
             "    subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(600)', "
             f"'{marker}'])\n")
    return UDP_ECHO.replace("def main():\n", spawn)


@pytest.mark.parametrize("isolation", ["netns", "none"])
def test_no_process_survives_a_test(isolation, tmp_path, specs):
    marker = f"sockgrade-marker-{uuid.uuid4().hex}"
    sub = make_submission(tmp_path / "s", {"serverudp.py": forking_server(marker)})
    if isolation not in levels_available(python_for(isolation)):
        pytest.skip(f"{isolation} isolation is not available here")
    with loopback_lock(isolation), Engine(isolation=isolation, python=python_for(isolation)) as engine:
        result = engine.grade(sub, specs["udp-echo"])
    assert results_by_name(result)["server answers Hello, <data>!"].passed
    assert result.isolation == isolation
    assert processes_with(marker) == []


@pytest.mark.parametrize("terminal", [False, True], ids=["pipes", "terminal"])
def test_a_program_started_in_with_is_gone_after_it_with_what_it_started(terminal, tmp_path):
    from grader.runner.process import Program
    from grader.runner.pty_program import PtyProgram
    marker = f"sockgrade-marker-{uuid.uuid4().hex}"
    starts_a_child = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
                      "'import time; time.sleep(60)', sys.argv[1]]); print('ready', flush=True); time.sleep(60)")
    kind = PtyProgram if terminal else Program
    with kind([sys.executable, "-c", starts_a_child, marker], cwd=str(tmp_path), env={}) as program:
        while b"ready" not in program.stdout.data and program.running():
            program.wait(0.1)
        assert program.running() and len(processes_with(marker)) == 2
    assert processes_with(marker) == [] and not program.running()
    program.close()         # a second time: nothing left to do, and no error


def test_original_submission_is_untouched(tmp_path, specs, engine):
    writer = UDP_ECHO.replace("def main():", "def main():\n    open('scratch.txt', 'w').write('x')")
    sub = make_submission(tmp_path / "s", {"serverudp.py": writer})
    before = sorted(p.name for p in sub.iterdir())
    assert results_by_name(engine.grade(sub, specs["udp-echo"]))["server binds UDP 9999"].passed
    assert sorted(p.name for p in sub.iterdir()) == before


def test_a_virtualenv_under_tmp_is_shown_to_sandboxed_programs(tmp_path, specs):
    # As CI installs the grader: a fresh virtualenv under /tmp, which the sandbox covers with its own
    # /tmp. The worker starts without site, so it must not take the runtime from its own sys.prefix.
    venv = tmp_path / "runtime" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    sub = make_submission(tmp_path / "class" / "s", {"serverudp.py": UDP_ECHO})
    with Engine(python=str(venv / "bin" / "python")) as engine:
        if engine.isolation != "sandbox":
            pytest.skip("the sandbox is not available here")
        tests = results_by_name(engine.grade(sub, specs["udp-echo"]))
    startup = tests["server binds UDP 9999"]
    assert startup.passed, startup.reason
    assert tests["server answers Hello, <data>!"].passed
