"""How a connection ended, said in the reason and the conversation: a server that resets, one
that half-closes, one that crashes at the first message (UDP and TCP, which ends the test at
once instead of at the step's timeout); a relay that passes half-closes and resets on and reads
everything an exited client sent; and a correct client that never fails under load."""
import re
import select
import socket
import textwrap
import threading
import time
from dataclasses import replace

from conftest import EXAMPLES, PORT_ARG, REFERENCE, make_submission, threaded_tcp_server
from grader.results import Cause, Why
from grader.specfile import catalog
from grader.grading.engine import Engine
from grader.specfile import load_spec

TIMEOUT = 20     # every step's timeout: a test that waited one out would take longer than its half

UDP_CRASH = PORT_ARG + textwrap.dedent("""\
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', PORT))
    data, addr = s.recvfrom(1024)
    raise ValueError('bad datagram ' + data.decode())
""")

UDP_ANSWER_THEN_CRASH = PORT_ARG + textwrap.dedent("""\
    import socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('127.0.0.1', PORT))
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
    raise SystemExit(3)
""")

TCP_CRASH = PORT_ARG + textwrap.dedent("""\
    import socket
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', PORT))
    s.listen(5)
    conn, addr = s.accept()
    conn.sendall(b'Welcome!')
    data = conn.recv(1024)
    raise ValueError('bad message ' + data.decode())
""")

TCP_RESET = threaded_tcp_server("""\
    import struct
    def serve(conn):
        conn.sendall(b'Welcome!')
        conn.recv(1024)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        conn.close()                                  # a reset, not a close
""")

TCP_HALF_CLOSE = threaded_tcp_server("""\
    def serve(conn):
        conn.sendall(b'Welcome!')
        data = conn.recv(1024)
        conn.sendall(b'Received ' + data + b';')
        conn.shutdown(socket.SHUT_WR)                 # no more from here; it still reads
        while conn.recv(1024):
            pass
        conn.close()
""")

TCP_ECHO_SLOW = threaded_tcp_server("""\
    import time
    def serve(conn):
        with conn:
            while True:
                data = conn.recv(1024)
                if not data:
                    return
                time.sleep(0.3)                       # the reply comes after the client's half-close
                conn.sendall(b'Received ' + data + b';')
""")

CLIENT_HALF_CLOSE = PORT_ARG + textwrap.dedent("""\
    import socket
    s = socket.create_connection(('127.0.0.1', PORT))
    s.sendall(b'hello')
    s.shutdown(socket.SHUT_WR)                        # done sending; the reply is still to come
    data = b''
    while True:
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    print(data.decode())
""")

CLIENT_RESET = PORT_ARG + textwrap.dedent("""\
    import socket, struct
    s = socket.create_connection(('127.0.0.1', PORT))
    s.sendall(b'hello')
    print(s.recv(1024).decode(), flush=True)
    s.sendall(b'bye')
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.close()
""")


def assert_reason(test, what: str) -> None:
    """The reason names the step as the spec wrote it (its line) and says ``what``."""
    assert re.fullmatch(r"`expect` at [\w.-]+\.yaml:\d+, client c1: " + re.escape(what), test.reason), test.reason


def assignment(folder, transport: str, tests: str, programs: dict[str, str], networks: str = ""):
    """A spec of ``tests`` (YAML) whose reference programs are ``programs``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in programs.items():
        (folder / name).write_text(source, encoding="utf-8")
    text = textwrap.dedent(f"""\
        id: ends-{transport}
        transport: {transport}
        roles:
          server: {{files: [server.py], reference: ref_server.py}}
          client: {{files: [client.py], reference: ref_client.py}}
        defaults: {{timeout: {TIMEOUT}, tags: [protocol]}}
        """) + networks + "tests:\n" + textwrap.indent(textwrap.dedent(tests), "  ")
    (folder / "spec.yaml").write_text(text, encoding="utf-8")
    return load_spec(folder / "spec.yaml")


UDP_REF = {"ref_server.py": (REFERENCE / "udp_echo_server.py").read_text(),
           "ref_client.py": (REFERENCE / "udp_echo_client.py").read_text()}
TCP_REF = {"ref_server.py": (REFERENCE / "tcp_echo_server.py").read_text(),
           "ref_client.py": (REFERENCE / "tcp_echo_client.py").read_text()}


def graded(engine, folder, spec, server: str = None, client: str = None):
    files = {}
    if server is not None:
        files["server.py"] = server
    if client is not None:
        files["client.py"] = client
    started = time.monotonic()
    result = engine.grade(make_submission(folder, files), spec)
    return {t.name: t for t in result.tests}, time.monotonic() - started


def ends(test, who: str) -> list[str]:
    """How ``who``'s connections ended, as the conversation records it."""
    return [e["data"] for e in test.transcript if e["who"] == who and e["event"] == "closed"]


def test_a_udp_server_that_crashes_ends_the_test_at_once(tmp_path, engine):
    spec = assignment(tmp_path / "spec", "udp", """\
        - name: answers
          steps:
            - {send: hello}
            - {expect: "Hello, hello!"}
        """, UDP_REF)
    tests, took = graded(engine, tmp_path / "s", spec, server=UDP_CRASH)
    test = tests["answers"]
    assert not test.passed
    assert "expected 'Hello, hello!', got nothing before the server exited" in test.reason, test.reason
    assert "your server stopped (exit code 1): ValueError: bad datagram hello (server.py, line 7)" in test.reason
    assert test.cause == Why(Cause.CRASHED, role="server", detail="ValueError: bad datagram hello (server.py, line 7)")
    assert any(e["data"] == "stopped waiting: the server has exited" for e in test.transcript)
    assert took < TIMEOUT / 2, f"took {took:.1f} s: the test waited out the step's timeout"


def test_a_tcp_server_that_crashes_ends_the_test_at_once(tmp_path, engine):
    spec = assignment(tmp_path / "spec", "tcp", """\
        - name: answers
          steps:
            - {expect: "Welcome!"}
            - {send: hello}
            - {expect: "Received hello;"}
        """, TCP_REF)
    tests, took = graded(engine, tmp_path / "s", spec, server=TCP_CRASH)
    test = tests["answers"]
    assert not test.passed
    assert "expected 'Received hello;', got the server closed the connection" in test.reason, test.reason
    assert "your server stopped (exit code 1): ValueError: bad message hello (server.py, line 11)" in test.reason
    assert test.cause == Why(Cause.CRASHED, role="server", detail="ValueError: bad message hello (server.py, line 11)")
    assert ends(test, "c1")[0] == "server closed the connection"
    assert took < TIMEOUT / 2, f"took {took:.1f} s: the test waited out the step's timeout"


def test_what_a_server_sent_before_it_exited_still_counts(tmp_path, engine):
    # Ending early must never cost a reply already on its way: here held back by a slow network
    # for longer than the grader looks for stragglers once the server has gone.
    networks = "networks:\n  slow: {to_client: {delay: 1.5}}\n"
    spec = assignment(tmp_path / "spec", "udp", """\
        - name: answers, then exits
          steps:
            - {send: there}
            - {expect: "Hello, there!"}
        - name: answers on a slow network, then exits
          network: slow
          steps:
            - {send: there}
            - {expect: "Hello, there!"}
            - {send: again}
            - {expect: "Hello, again!"}
        """, UDP_REF, networks)
    tests, took = graded(engine, tmp_path / "s", spec, server=UDP_ANSWER_THEN_CRASH)
    assert tests["answers, then exits"].passed, tests["answers, then exits"].reason
    slow = tests["answers on a slow network, then exits"]
    assert not slow.passed
    assert "expected 'Hello, again!', got nothing before the server exited" in slow.reason, slow.reason
    assert "your server stopped (exit code 3)" in slow.reason
    assert slow.cause == Why(Cause.EXITED, role="server", code=3)
    assert took < TIMEOUT / 2


def test_a_reset_is_said_to_be_one(tmp_path, engine):
    spec = assignment(tmp_path / "spec", "tcp", """\
        - name: answers
          steps:
            - {expect: "Welcome!"}
            - {send: hello}
            - {expect: "Received hello;"}
        - name: closes
          steps:
            - {expect: "Welcome!"}
            - {send: exit}
            - {expect: {closed: true}}
        """, TCP_REF)
    tests, took = graded(engine, tmp_path / "s", spec, server=TCP_RESET)
    answers = tests["answers"]
    assert not answers.passed
    assert_reason(answers, "expected 'Received hello;', got the server reset the connection")
    assert answers.cause == Why(Cause.NO_REPLY)
    assert ends(answers, "c1") == ["server reset the connection", "client closed"]
    closes = tests["closes"]       # a reset closes the connection too, and is recorded as what it was
    assert closes.passed, closes.reason
    assert ends(closes, "c1") == ["server reset the connection", "client closed"]
    assert took < TIMEOUT / 2


def test_a_half_close_is_a_close_and_nothing_more_comes(tmp_path, engine):
    spec = assignment(tmp_path / "spec", "tcp", """\
        - name: replies, then closes
          steps:
            - {expect: "Welcome!"}
            - {send: one}
            - {expect: "Received one;"}
            - {expect: {closed: true}}
        - name: replies twice
          steps:
            - {expect: "Welcome!"}
            - {send: one}
            - {expect: "Received one;"}
            - {send: two}
            - {expect: "Received two;"}
        - name: waits in vain
          steps:
            - {expect: "Welcome!"}
            - {expect: "Received one;", timeout: 1}
        """, TCP_REF)
    tests, took = graded(engine, tmp_path / "s", spec, server=TCP_HALF_CLOSE)
    closes = tests["replies, then closes"]
    assert closes.passed, closes.reason
    twice = tests["replies twice"]
    assert not twice.passed
    # It still reads (the send succeeds), but no reply can come: said at once, not after 20 s.
    assert_reason(twice, "expected 'Received two;', got the server closed the connection")
    assert ends(twice, "c1") == ["server closed the connection", "client closed"]
    in_vain = tests["waits in vain"]         # the grader gave up: said so, then closed it
    assert_reason(in_vain, "expected 'Received one;', got nothing within 1 s")
    assert in_vain.cause == twice.cause == Why(Cause.NO_REPLY)
    notes = [(e["event"], e["data"]) for e in in_vain.transcript if e["who"] == "c1"][-2:]
    assert notes == [("note", "timed out: nothing more within 1 s"), ("closed", "client closed")]
    assert took < TIMEOUT / 2


CLIENT_TESTS = """\
    - name: the client's message and the reply
      tags: [client]
      client:
        sent: [hello]
        output: ["Received hello;"]
    """


def test_the_relay_passes_a_client_half_close_on(tmp_path, engine):
    # The client says it is done sending, then waits for the reply, which the server sends after
    # seeing that: the relay must pass the half-close on and keep the other way open.
    spec = assignment(tmp_path / "spec", "tcp", CLIENT_TESTS,
                      {"ref_server.py": TCP_ECHO_SLOW, "ref_client.py": CLIENT_HALF_CLOSE})
    tests, _ = graded(engine, tmp_path / "s", spec, client=CLIENT_HALF_CLOSE)
    test = tests["the client's message and the reply"]
    assert test.passed, test.reason + "\n" + str(test.transcript)
    assert ends(test, "client") == [] and ends(test, "server") == []    # nothing went wrong: nothing said


def test_the_relay_records_a_client_reset_after_what_it_sent(tmp_path, engine):
    spec = assignment(tmp_path / "spec", "tcp", CLIENT_TESTS.replace("sent: [hello]", "sent: [hello, bye]"),
                      {"ref_server.py": TCP_ECHO_SLOW, "ref_client.py": CLIENT_HALF_CLOSE})
    tests, _ = graded(engine, tmp_path / "s", spec, client=CLIENT_RESET)
    test = tests["the client's message and the reply"]
    assert test.passed, test.reason
    sent = [e["data"] for e in test.transcript if e["who"] == "client" and e["event"] == "sent"]
    assert sent == ["hello", "bye"]
    assert ends(test, "client") == ["client program reset the connection"]


CLIENT_STAYS = PORT_ARG + textwrap.dedent("""\
    import socket, time
    s = socket.create_connection(('127.0.0.1', PORT))
    s.sendall(b'hello')
    print(s.recv(1024).decode(), flush=True)
    time.sleep(600)                                   # never closes, never exits
""")


def test_the_relay_says_the_grader_closed_a_connection_left_open(tmp_path, engine):
    spec = assignment(tmp_path / "spec", "tcp", CLIENT_TESTS.replace("client:\n", "client:\n        timeout: 2\n"),
                      {"ref_server.py": TCP_ECHO_SLOW, "ref_client.py": CLIENT_HALF_CLOSE})
    tests, _ = graded(engine, tmp_path / "s", spec, client=CLIENT_STAYS)
    test = tests["the client's message and the reply"]
    assert not test.passed and test.cause == Why(Cause.DID_NOT_EXIT, role="client"), test.reason
    assert ends(test, "client") == ["client program had not closed its connection when the test ended: "
                                    "closed by the grader"]


class _LateSelect:
    """``select`` for the relay, except that once asked to, one round sees nothing and returns only
    when let go: as when the relay's thread lost the CPU just before the client's last message came."""

    def __init__(self):
        self.blind, self.blinded, self.go = threading.Event(), threading.Event(), threading.Event()

    def select(self, r, w, x, timeout=None):
        if self.blind.is_set() and len(r) > 1:      # the listening socket and the connection
            self.blind.clear()
            self.blinded.set()
            self.go.wait(10)
            return [], [], []
        return select.select(r, w, x, timeout)


def test_the_relay_reads_what_a_client_sent_just_before_it_went(monkeypatch):
    """The cause of the false failures: the grader closes the relay as soon as the client program
    has exited, and its last message may not have been read yet. Here that moment is forced."""
    from grader.net import relay as relay_module
    from grader.net.transcript import Transcript

    late = _LateSelect()
    monkeypatch.setattr(relay_module, "select", late)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        transcript = Transcript()
        relay = relay_module.make_relay("tcp", ("127.0.0.1", 0), server.getsockname(), transcript)
        client = socket.create_connection(relay.address)
        late.blind.set()
        assert late.blinded.wait(5)               # the relay has the connection, and looks away
        client.sendall(b"exit")
        client.close()
        threading.Timer(0.2, late.go.set).start()   # it looks again only once the grader closes it
        relay.close(drain=2)                      # at once, as when the client program has just exited
        assert relay.from_client == [b"exit"]
        assert [e.event for e in transcript.entries] == ["connected", "sent"]
    finally:
        late.go.set()
        server.close()


def test_a_correct_client_never_fails_under_load():
    """Alice's client sends `exit` and exits at once: under load the relay once stopped before reading
    it (about 1 run in 100 at -j 16). Her transcripts must also be identical from run to run."""
    spec = next(s for s in catalog.load_all() if s.id == "tcp-echo-threaded")
    name = "client sends message1..message5 and exit"
    spec = replace(spec, tests=tuple(t for t in spec.tests if t.name == name))
    runs = 100
    with Engine(jobs=16) as engine:
        results = engine.grade_all([(EXAMPLES / "alice", spec, f"alice-{i}") for i in range(runs)])
    tests = [r.tests[0] for r in results]
    failed = [t.reason for t in tests if not t.passed]
    assert not failed, f"{len(failed)} of {runs} runs failed: {failed[0]}"
    transcripts = {tuple((e["who"], e["event"], e["data"]) for e in t.transcript) for t in tests}
    assert len(transcripts) == 1, transcripts
    assert ("client", "sent", "exit") in next(iter(transcripts))
