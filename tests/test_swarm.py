"""`swarm:` measures how many clients a server serves at the same time, and `at_once` requires it.

Real servers, real sockets: a server that serves one connection until the client closes it, then
accepts the next, must fail every concurrency-tagged test of the threaded specs whatever its listen()
backlog; the threaded reference servers and students pass; `at_once` from a spec is honoured.
"""
import textwrap
from dataclasses import replace

import pytest

from conftest import EXAMPLES, PORT_ARG, make_submission
from grader.kinds.swarm import Swarm
from grader.results import Cause, Why
from grader.specfile import SpecError, load_spec

# One connection at a time: accept, serve that client until it closes (or sends exit), then the next.
SERIAL = PORT_ARG + textwrap.dedent("""
    import socket
    BACKLOG = {backlog}
    book = {{}}

    def answer(text):
        if not CONTACTS:
            return 'Received %s;' % text
        f = text.split(';')
        if f[0] == 'add' and len(f) == 3 and all(f):
            book[f[1]] = f[2]
            return f[1] + ' added'
        if f[0] == 'find' and len(f) == 2:
            return book.get(f[1], 'Not found')
        if f[0] == 'remove' and len(f) == 2:
            return f[1] + ' removed' if book.pop(f[1], None) is not None else 'Not found'
        return 'ERROR: bad command'

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', PORT))
    s.listen(BACKLOG)
    print('Waiting for connection...', flush=True)
    while True:
        conn, addr = s.accept()
        try:
            conn.sendall(b'Welcome!')
            while True:
                data = conn.recv(1024)
                text = data.decode('utf-8', errors='replace')
                if not data or text == 'exit':
                    break
                conn.sendall(answer(text).encode('utf-8'))
        except OSError:
            pass            # the client reset the connection: serve the next one
        conn.close()
""")

SERVER_FILE = {"tcp-echo-threaded": "serverthread.py", "tcp-contacts-threaded": "contactserver.py"}


def serial_server(spec_id: str, backlog: int) -> str:
    return SERIAL.format(backlog=backlog).replace(
        "import socket\n", f"import socket\nCONTACTS = {spec_id == 'tcp-contacts-threaded'}\n", 1)


def concurrency_tests(spec):
    return [t for t in spec.tests if "concurrency" in t.tags]


@pytest.mark.parametrize("backlog", [1, 100])
@pytest.mark.parametrize("spec_id", sorted(SERVER_FILE))
def test_a_serial_server_fails_every_concurrency_test(spec_id, backlog, tmp_path, specs, engine):
    spec = specs[spec_id]
    assert len(concurrency_tests(spec)) >= 2 and any(isinstance(t.params, Swarm) for t in concurrency_tests(spec))
    sub = make_submission(tmp_path / "serial", {SERVER_FILE[spec_id]: serial_server(spec_id, backlog)})
    result = engine.grade(sub, spec)
    failed = {t.name: t for t in result.tests if not t.passed}
    # The server is right in every other way: only the concurrency tests (and those of the client,
    # which was not handed in) catch it.
    expected = {t.name for t in spec.tests if "concurrency" in t.tags or "client" in t.roles_used}
    assert set(failed) == expected, {n: t.reason for n, t in failed.items()}
    for test in concurrency_tests(spec):
        if isinstance(test.params, Swarm):
            got = failed[test.name]
            clients = len(test.params.per_client)
            assert got.metrics["served_at_once"] <= 1, got.reason
            assert got.cause == Why(Cause.TOO_FEW_AT_ONCE), got.reason


@pytest.mark.parametrize("spec_id", sorted(SERVER_FILE))
def test_threaded_reference_servers_serve_every_client_at_once(spec_id, specs, engine, reference_submission):
    spec = specs[spec_id]
    only = replace(spec, tests=tuple(concurrency_tests(spec)))
    result = engine.grade(reference_submission(spec_id), only)
    assert {t.name: t.reason for t in result.tests if not t.passed} == {}
    for test, got in zip(only.tests, result.tests):
        if isinstance(test.params, Swarm):
            clients = len(test.params.per_client)
            assert test.params.needed == clients
            assert got.metrics["served_at_once"] == clients
            assert f"served {clients} of {clients} clients at the same time" in got.notes


@pytest.mark.parametrize("student, spec_id", [("alice", "tcp-echo-threaded"), ("judy", "tcp-echo-threaded"),
                                              ("alice", "tcp-contacts-threaded"),
                                              ("carol", "tcp-contacts-threaded"),
                                              ("heidi", "tcp-contacts-threaded")])
def test_threaded_students_reach_at_once(student, spec_id, specs, engine):
    """The example class's threaded servers (with the course's 1 s per reply) are served all at once;
    carol's per-connection books fail the swarm's later check, not its concurrency."""
    spec = specs[spec_id]
    swarm = next(t for t in spec.tests if isinstance(t.params, Swarm))
    result = engine.grade(EXAMPLES / student, replace(spec, tests=(swarm,)))
    got = result.tests[0]
    clients = len(swarm.params.per_client)
    assert got.metrics["served_at_once"] == clients, got.reason
    if student == "carol":
        assert not got.passed and got.reason.startswith("check `expect` at tcp-contacts-threaded.yaml:")
        assert got.cause == Why(Cause.WRONG_REPLY), got.reason
    else:
        assert got.passed, got.reason


# -- at_once from the spec ---------------------------------------------------------------------------

AT_ONCE_SPEC = """\
id: at-once
transport: tcp
roles:
  server: {{files: [server.py]}}
defaults: {{timeout: 3}}
tests:
  - name: swarm
    tags: [concurrency]
    swarm:
      clients: 4
{at_once}      steps:
        - {{send: "hi-${{i}}"}}
        - {{expect: "hi-${{i}}"}}
"""

# Echo without a welcome; `workers` threads each accept one connection and serve it until it closes.
POOL = PORT_ARG + textwrap.dedent("""
    import socket, threading
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', PORT))
    s.listen(100)

    def serve():
        while True:
            conn, _ = s.accept()
            try:
                while True:
                    data = conn.recv(1024)
                    if not data:
                        break
                    conn.sendall(data)
                    if ONE_REPLY:
                        break       # hangs up after one answer, then serves the next connection
            except OSError:
                pass
            conn.close()

    threads = [threading.Thread(target=serve) for _ in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
""")


def pool_server(workers: int, one_reply: bool = False) -> str:
    return POOL.replace("import socket, threading\n",
                        f"import socket, threading\nWORKERS = {workers}\nONE_REPLY = {one_reply}\n", 1)


def at_once_spec(tmp_path, at_once: int | None):
    path = tmp_path / "at-once.yaml"
    path.write_text(AT_ONCE_SPEC.format(at_once="" if at_once is None else f"      at_once: {at_once}\n"))
    return load_spec(path)


@pytest.mark.parametrize("at_once, workers, one_reply, passes, served", [
    (2, 2, False, True, 2),       # two at a time is what at_once: 2 asks for
    (2, 1, False, False, 1),      # one at a time is not
    (3, 2, False, False, 2),
    (None, 2, False, False, 2),   # the default: all four
    (None, 4, False, True, 4),
    (2, 1, True, False, None),    # answers each connection, hangs up, takes the next: at most one
    (1, 1, False, True, 1),       # at_once: 1 needs no clients served together
])
def test_at_once_from_the_spec_is_honoured(at_once, workers, one_reply, passes, served, tmp_path, engine):
    spec = at_once_spec(tmp_path, at_once)
    assert spec.tests[0].params.needed == (at_once or 4)
    sub = make_submission(tmp_path / "s", {"server.py": pool_server(workers, one_reply)})
    got = engine.grade(sub, spec).tests[0]
    assert got.passed == passes, got.reason
    if at_once == 1:
        assert got.metrics["served_at_once"] >= 1
        return
    measured = got.metrics["served_at_once"]
    if served is None:          # a client counts while its connection is open: 0 or 1 here
        assert measured <= 1 and "the server closed" in got.reason, got.reason
    elif passes and at_once is not None:
        # Once at_once are served together nobody waits for more: "at least", the same in every run.
        assert measured == at_once and f"served at least {at_once} of 4" in got.notes[0]
    else:
        assert measured == served, got.reason
    if not passes:      # the number measured is the one students are told
        assert got.cause == Why(Cause.TOO_FEW_AT_ONCE), got.reason
        assert got.reason.startswith(f"served at most {measured} of 4 clients at the same time; "
                                     f"this test needs {at_once or 4} at once"), got.reason


def test_at_once_travels_to_the_worker(tmp_path):
    from grader.kinds import test_from_dict
    test = at_once_spec(tmp_path, 3).tests[0]
    again = test_from_dict(test.to_dict())
    assert again.params.at_once == 3 and again.params.needed == 3 and again.params.measured_reply == 1


# -- errors ------------------------------------------------------------------------------------------

def spec_error(tmp_path, at_once_line: str, steps: str | None = None) -> SpecError:
    text = AT_ONCE_SPEC.format(at_once=at_once_line)
    if steps is not None:
        text = text.split("      steps:\n")[0] + steps
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    return caught.value


@pytest.mark.parametrize("value, message, hint", [
    ("0", "`at_once` is 0; it must be at least 1", "allowed: from 1 to 100"),
    ("5", "`at_once` is 5, more than the swarm's 4 clients", "allowed: from 1 to `clients` (4)"),
    ("101", "`at_once` is 101; it may be at most 100", "allowed: from 1 to 100"),
    ("2.0", "2.0 should be of type integer", ""),
])
def test_bad_at_once_points_at_its_line(value, message, hint, tmp_path):
    err = spec_error(tmp_path, f"      at_once: {value}\n")
    assert err.line == 11 and err.path == "tests[0].swarm.at_once", (err.line, err.path)
    assert message in err.message
    assert hint in err.hint


def test_a_swarm_that_expects_no_reply_cannot_measure(tmp_path):
    no_reply = "      steps:\n        - {send: hi}\n        - {expect: {silence: 1}}\n"
    err = spec_error(tmp_path, "", no_reply)
    assert err.path == "tests[0].swarm.steps" and err.line == 11
    assert "expect no reply" in err.message and "at_once: 1" in err.hint
    reply_after_close = "      steps:\n        - {send: hi}\n        - {close: true}\n        - {expect: hi}\n"
    assert "expect no reply" in spec_error(tmp_path, "      at_once: 2\n", reply_after_close).message
    path = tmp_path / "ok.yaml"        # at_once: 1 asks for nothing to be measured
    path.write_text(AT_ONCE_SPEC.format(at_once="      at_once: 1\n").split("      steps:\n")[0] + no_reply)
    assert load_spec(path).tests[0].params.needed == 1


def test_an_unknown_list_used_in_a_swarm_is_refused_where_it_is_written(tmp_path):
    err = spec_error(tmp_path, "", "      steps:\n        - {send: hi}\n        - {use: more}\n")
    assert err.path == "tests[0].swarm.steps[1].use" and err.line == 13
    assert "no step list named 'more'" in err.message
