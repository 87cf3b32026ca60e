"""The fork server: workers forked into each test's namespaces, nothing left behind, and the
usual worker whenever the server cannot be reached."""
import dataclasses
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import make_submission, processes_with
from grader.grading.engine import Engine
from grader.runner.process import kill_tree

UDP_ECHO_TESTS = ("server binds UDP 9999", "server answers Hello, <data>!")


def engine_with_fork_server(**options) -> Engine:
    engine = Engine(**options)
    if engine.isolation == "none":
        engine.close()
        pytest.skip("no namespaces here: tests run without a fork server")
    return engine


def recorded(engine, spec, name):
    """The reference's run of one test, as the worker reported it."""
    test = next(t for t in spec.tests if t.name == name)
    return engine.run_worker(spec, test, None, {}, mode="record")


def test_workers_are_forked_and_tests_still_run_side_by_side(specs):
    spec = specs["udp-echo"]
    with engine_with_fork_server(jobs=4) as engine:
        with ThreadPoolExecutor(6) as pool:
            outcomes = list(pool.map(lambda name: recorded(engine, spec, name), UDP_ECHO_TESTS * 3))
    assert all(o.passed for o in outcomes), [o.reason or o.error for o in outcomes]
    assert all(o.timing["forked"] == 1.0 for o in outcomes)
    # Each ran in its own network namespace: all bound 9999 at once without a clash.
    assert all("9999" in o.bound for o in outcomes if o.bound)


def test_no_fork_server_outlives_its_engine(specs, tmp_path):
    engine = engine_with_fork_server(jobs=2)
    path = engine._fork_server.path
    try:
        assert processes_with(path), "the fork server did not start"
        assert recorded(engine, specs["udp-echo"], UDP_ECHO_TESTS[0]).passed
    finally:
        engine.close()
    assert processes_with(path) == []
    assert not os.path.exists(os.path.dirname(path))


def test_a_dead_fork_server_means_the_usual_worker(specs, tmp_path):
    with engine_with_fork_server(jobs=2) as engine:
        for pid in processes_with(engine._fork_server.path):
            kill_tree(pid)
        deadline = time.monotonic() + 5
        while processes_with(engine._fork_server.path) and time.monotonic() < deadline:
            time.sleep(0.05)
        outcome = recorded(engine, specs["udp-echo"], UDP_ECHO_TESTS[1])
    assert outcome.passed, outcome.reason or outcome.error
    assert outcome.timing["forked"] == 0.0


def hanging_server(marker: str) -> str:
    """Binds UDP 9999, never answers, and starts a grandchild that leaves its session."""
    return ("import socket, subprocess, sys, time\n"
            "subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(600)', "
            f"'{marker}'])\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "s.bind(('127.0.0.1', 9999))\n"
            "time.sleep(600)\n")


def only(spec, *names):
    return dataclasses.replace(spec, tests=tuple(t for t in spec.tests if t.name in names))


def test_a_forked_test_that_hangs_is_stopped_with_everything_it_started(specs, tmp_path):
    marker = f"sockgrade-hang-{os.getpid()}-{time.monotonic_ns()}"
    sub = make_submission(tmp_path / "s", {"serverudp.py": hanging_server(marker)})
    with engine_with_fork_server(jobs=2) as engine:
        result = engine.grade(sub, only(specs["udp-echo"], *UDP_ECHO_TESTS), student="hang")
    tests = {t.name: t for t in result.tests}
    assert tests[UDP_ECHO_TESTS[0]].passed
    assert not tests[UDP_ECHO_TESTS[1]].passed
    assert processes_with(marker) == []


def test_a_forked_worker_over_its_budget_dies_with_its_namespace(specs, tmp_path, monkeypatch):
    # The worker is the fork server's grandchild, not the engine's: what stops it is the end of
    # the trampoline, PID 1 of the test's PID namespace.
    monkeypatch.setattr("grader.grading.engine._budget", lambda test: 1.5)
    marker = f"sockgrade-budget-{os.getpid()}-{time.monotonic_ns()}"
    sub = make_submission(tmp_path / "s", {"serverudp.py": hanging_server(marker)})
    spec = only(specs["udp-echo"], UDP_ECHO_TESTS[1])
    patient = dataclasses.replace(spec.tests[0], params=dataclasses.replace(spec.tests[0].params, steps=tuple(
        dataclasses.replace(step, timeout=60) for step in spec.tests[0].params.steps)))
    spec = dataclasses.replace(spec, tests=(patient,))     # the worker alone would wait a minute
    with engine_with_fork_server(jobs=1) as engine:
        server = processes_with(engine._fork_server.path)
        result = engine.grade(sub, spec, student="slow")
        assert "did not finish within 1.5 s" in result.tests[0].reason
        deadline = time.monotonic() + 2
        while (processes_with(marker) or processes_with(engine._fork_server.path) != server) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_with(marker) == []
        assert processes_with(engine._fork_server.path) == server      # no worker left either


def test_a_fork_server_that_fails_before_forking_means_the_usual_worker(specs, tmp_path):
    # A server that takes the streams and hangs up, as the real one does when it cannot fork or
    # join the namespaces: the trampoline, told nothing started, runs the job itself.
    import socket
    import threading
    path = str(tmp_path / "broken.sock")
    broken = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    broken.bind(path)
    broken.listen(8)
    handed = []

    def hang_up():
        while True:
            try:
                conn, _ = broken.accept()
            except OSError:
                return
            with conn:
                fds = socket.recv_fds(conn, 16, 3)[1]
            handed.append(len(fds))
            for fd in fds:
                os.close(fd)

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        with engine_with_fork_server(jobs=1) as engine:
            engine._fork_server.path = path
            outcome = recorded(engine, specs["udp-echo"], UDP_ECHO_TESTS[1])
    finally:
        broken.close()
    assert handed == [3]
    assert outcome.passed, outcome.reason or outcome.error
    assert outcome.timing["forked"] == 0.0


def test_the_fork_server_forks_nothing_for_a_process_that_is_not_a_tests_trampoline(tmp_path):
    # What a student program would do if it reached the socket: hand over its streams as the
    # trampoline does. Only a child of an unshare the engine started is served.
    import array
    import socket
    import subprocess
    import sys
    from grader.worker.forkserver import ForkServer
    from grader.worker.protocol import worker_env as _worker_env
    server = ForkServer(sys.executable, _worker_env())
    try:
        job = tmp_path / "job.json"
        job.write_text("{}")
        with open(job, "rb") as stdin, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(server.path)
            s.sendmsg([b"run"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                  array.array("i", [stdin.fileno(), 1, 2]))])
            s.settimeout(5)
            assert s.recv(1) == b""         # hung up on without starting anything
        # Nor is a process further down (a student program descends from a worker, itself a child
        # of the fork server), however it forks.
        code = ("import array, socket, sys; s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); "
                "s.sendmsg([b'run'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [0, 1, 2]))]); "
                "s.settimeout(5); print(repr(s.recv(1)))")
        script = tmp_path / "connect.py"
        script.write_text(code)
        done = subprocess.run(["sh", "-c", f"sh -c '{sys.executable} {script} {server.path}; true'; true"],
                              capture_output=True, text=True, timeout=20)
        assert done.stdout.strip() == "b''", done.stderr
    finally:
        server.close()
