"""The reference server (the oracle) is out of every student program's reach.

Where the reference answers while a student program runs (generated
conversations, client tests against the reference server), it runs in a
network namespace of its own (``grader/kinds/runners/oracle.py``): a student server
that finds the reference's port cannot change its answers, and a student
client cannot talk to it behind the recording relay's back.
"""
from __future__ import annotations

import dataclasses
import socket
import textwrap
import threading
import types
from pathlib import Path

import pytest

from conftest import REFERENCE, REFERENCE_AS_STUDENT, SPECS, loopback_lock, make_submission, python_for
from grader.kinds.runners import generate
from grader.grading.engine import Engine
from grader.kinds.generated import Generation
from grader.net.relay import make_relay
from grader.net.transcript import Transcript
from grader.results import Cause, Why
from grader.runner import isolation
from grader.kinds.runners.oracle import Oracle, OracleUnavailable
from grader.specfile import load_spec

HOSTILE = Path(__file__).resolve().parent / "hostile"
AVAILABLE = isolation.available_level()
LEVELS = [pytest.param(level, marks=pytest.mark.skipif(
              isolation.LEVELS.index(level) > isolation.LEVELS.index(AVAILABLE),
              reason=f"isolation level {level} is not available here (the best is {AVAILABLE})"))
          for level in ("sandbox", "netns")]
CLIENT_TESTS = ("client sends add;NAME;PHONE and prints the reply", "client find prints the phone")


def contacts_spec(keep):
    spec = load_spec(SPECS / "udp-contacts.yaml")
    return dataclasses.replace(spec, tests=tuple(t for t in spec.tests if keep(t)))


def uses_the_book(rounds) -> bool:
    """A name is found or removed after it was added: a server without a contact book shows."""
    added = set()
    for round_ in rounds:
        commands = [command.split(";") for _, command in round_]
        if any(c[0] in ("find", "remove") and c[1] in added for c in commands):
            return True
        added |= {c[1] for c in commands if c[0] == "add"}
    return False


def generated_only():
    """The spec's generated conversations, with the first seed whose every conversation needs a contact book
    (seed 1's second one never looks up a name it added: a server with no book rightly passes it)."""
    spec = contacts_spec(lambda t: isinstance(t.params, Generation))
    assert len(spec.tests) == 3
    seed = next(s for s in range(1, 1000) if all(
        uses_the_book(generate.conversation(dataclasses.replace(t.params, seed=s))) for t in spec.tests))
    return spec.with_seed(seed)


def grade(submission, spec, level):
    try:
        engine = Engine(isolation=level, python=python_for(level))
    except isolation.IsolationUnavailable as exc:
        pytest.skip(f"isolation level {level} is not available here: {exc}")
    with loopback_lock(level), engine:
        result = engine.grade(submission, spec)
    assert result.isolation == level
    assert not [t.reason for t in result.tests if t.grading_failed]
    return result


@pytest.mark.parametrize("level", LEVELS)
def test_a_server_that_tampers_with_the_reference_fails_every_generated_conversation(level, tmp_path):
    submission = make_submission(tmp_path / "tamperer", {
        name: HOSTILE / "oracle_tamper" / name for name in ("contactserverudp.py", "contactclientudp.py")})
    result = grade(submission, generated_only(), level)
    assert [t.passed for t in result.tests] == [False] * 3, {t.name: t.reason for t in result.tests}
    for test in result.tests:
        # It did try, but no server was to be seen in its network namespace; the spec's neighbouring
        # ports, which it tried too, led nowhere.
        assert "servers found before binding: []" in test.server_output
        assert "tampering with" in test.server_output
        assert test.cause.kind in (Cause.WRONG_REPLY, Cause.NO_REPLY), test.reason


@pytest.mark.parametrize("level", [*LEVELS, "none"])
def test_the_reference_handed_in_passes_every_generated_conversation(level, tmp_path):
    files = {name: REFERENCE / ref for name, ref in REFERENCE_AS_STUDENT["udp-contacts"].items()}
    submission = make_submission(tmp_path / "reference", files)
    result = grade(submission, generated_only(), level)
    assert [t.passed for t in result.tests] == [True] * 3, {t.name: t.reason for t in result.tests}


# A client that looks for servers besides the one it is told of (9999, where the relay listens),
# asks each of them directly, then does what the course's client does and exits with 3, so that the
# test fails and its output is kept in the result.
SCANNING_CLIENT = textwrap.dedent("""\
    import os
    import socket
    import sys

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', 0))
    mine = s.getsockname()[1]
    ports = set()
    for table in ('/proc/net/udp', '/proc/net/udp6', '/proc/net/tcp', '/proc/net/tcp6'):
        with open(table) as f:
            next(f)
            for line in f:
                port = int(line.split()[1].split(':')[1], 16)
                if port not in (0, 9999, mine):
                    ports.add(port)
    for port in sorted(ports):
        print('FOUND', port)
        s.sendto(b'find;lisi', ('127.0.0.1', port))
        s.settimeout(1)
        try:
            print('REACHED', port, s.recv(1024).decode())
        except OSError:
            pass
    print('scan done')
    s.settimeout(None)
    s.sendto(';'.join(sys.argv[1:]).encode('utf-8'), ('127.0.0.1', 9999))
    print(s.recv(1024).decode('utf-8'))
    sys.exit(3)
""")


@pytest.mark.parametrize("level", LEVELS)
def test_a_client_finds_no_way_to_the_reference_server_but_the_relay(level, tmp_path):
    submission = make_submission(tmp_path / "scanner", {
        "contactserverudp.py": REFERENCE / "udp_contact_server.py", "contactclientudp.py": SCANNING_CLIENT})
    result = grade(submission, contacts_spec(lambda t: t.name in CLIENT_TESTS), level)
    assert len(result.tests) == 2
    outputs = {t.name: t.client_output for t in result.tests}
    for test in result.tests:
        # Only its exit code failed it: what it sent and printed was right.
        assert test.reason == "the client exited with code 3", test.reason      # no other problem
        assert test.cause == Why(Cause.EXITED, role="client", code=3)
        assert "scan done" in test.client_output
        assert "FOUND" not in test.client_output, test.client_output
    assert "zhangsan added" in outputs[CLIENT_TESTS[0]]
    assert "13900139000" in outputs[CLIENT_TESTS[1]]     # the setup step reached the reference too


# -- the oracle itself, in this process -------------------------------------

def fake_job(level: str, transport: str = "udp"):
    return types.SimpleNamespace(isolation=level, transport=transport, port=9999, framing="none")


def isolated_oracle(transport: str = "udp") -> Oracle:
    try:
        return Oracle(fake_job("netns", transport))
    except OracleUnavailable as exc:      # not root here: no network namespace for a thread of pytest
        pytest.skip(str(exc))


def test_at_level_none_the_oracle_is_the_callers_own_namespace():
    with Oracle(fake_job("none")) as oracle:
        assert oracle.call(threading.get_native_id) == threading.get_native_id()
        assert oracle.net == "/proc/net"
        assert oracle.reference_port() != 9999          # a free port: the student's server has 9999
        with oracle.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as here:
                here.sendto(b"hi", s.getsockname())
                s.settimeout(2)
                assert s.recv(10) == b"hi"


def udp_table_ports(net: str) -> set[int]:
    with open(f"{net}/udp") as f:
        return {int(line.split()[1].split(":")[1], 16) for line in list(f)[1:]}


def test_the_oracles_sockets_are_out_of_reach_and_the_relay_bridges_to_them():
    oracle = isolated_oracle()
    try:
        assert oracle.call(threading.get_native_id) != threading.get_native_id()
        assert oracle.reference_port() == 9999           # free in a namespace of its own
        server = oracle.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        assert port in udp_table_ports(oracle.net) and port not in udp_table_ports("/proc/net")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outsider:   # this namespace's
            outsider.sendto(b"remove;x", ("127.0.0.1", port))
        server.settimeout(0.3)
        with pytest.raises(TimeoutError):
            server.recv(100)
        peer = oracle.peer("c1", ("127.0.0.1", port), Transcript())
        assert peer.send(b"find;x", 2).ok
        data, address = server.recvfrom(100)
        assert data == b"find;x"
        relay = make_relay("udp", ("127.0.0.1", 0), ("127.0.0.1", port), Transcript(), upstream_socket=oracle.socket)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.sendto(b"add;x;1", relay.address)
                data, upstream = server.recvfrom(100)
                assert data == b"add;x;1"
                server.sendto(b"x added", upstream)
                client.settimeout(2)
                assert client.recv(100) == b"x added"
        finally:
            relay.close()
        peer.close()
        server.close()
    finally:
        oracle.close()


def test_the_tcp_relay_connects_upstream_in_the_oracles_namespace():
    oracle = isolated_oracle("tcp")
    try:
        listener = oracle.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with socket.socket() as outsider:
            with pytest.raises(ConnectionRefusedError):
                outsider.connect(listener.getsockname())
        relay = make_relay("tcp", ("127.0.0.1", 0), listener.getsockname(), Transcript(),
                           upstream_socket=oracle.socket)
        try:
            with socket.create_connection(relay.address, timeout=2) as client:
                listener.settimeout(2)
                conn, _ = listener.accept()
                with conn:
                    conn.sendall(b"Welcome!\n")
                    assert client.recv(100) == b"Welcome!\n"
                    client.sendall(b"find;x\n")
                    conn.settimeout(2)
                    assert conn.recv(100) == b"find;x\n"
        finally:
            relay.close()
        listener.close()
    finally:
        oracle.close()
