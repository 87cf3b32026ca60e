"""Each network capability catches the submission it should (the reference passes them all:
tests/test_reference_full_marks.py)."""
from conftest import EXAMPLES, REFERENCE, make_submission

UDP_ECHO = (REFERENCE / "udp_echo_server.py").read_text()


def by_name(result):
    return {t.name: t for t in result.tests}


def test_reply_to_a_fixed_address_is_caught(tmp_path, specs, engine):
    # Replies go to whoever wrote first, as if the address were hard-coded.
    fixed = UDP_ECHO.replace("s.sendto(b'Hello, %s!' % data, addr)",
                             "s.sendto(b'Hello, %s!' % data, globals().setdefault('first', addr))")
    assert "globals().setdefault" in fixed
    sub = make_submission(tmp_path / "s", {"serverudp.py": fixed})
    tests = by_name(engine.grade(sub, specs["udp-echo"]))
    assert tests["server answers Hello, <data>!"].passed            # one client cannot tell
    swarm = tests["five clients at once get their own replies"]
    assert not swarm.passed and "of 5 clients failed" in swarm.reason
    assert not tests["replies go to each sender"].passed


def test_swarm_counts_clients_served_at_once(specs, engine):
    bob = by_name(engine.grade(EXAMPLES / "bob", specs["tcp-echo-threaded"]))["ten clients at once"]
    alice = by_name(engine.grade(EXAMPLES / "alice", specs["tcp-echo-threaded"]))["ten clients at once"]
    assert alice.passed and alice.metrics["served_at_once"] == 10
    assert "served 10 of 10 clients at the same time" in alice.notes
    assert not bob.passed and bob.metrics["served_at_once"] == 1


def test_a_pair_that_disagrees_is_explained(tmp_path, specs, engine):
    server = (REFERENCE / "tcp_contact_server.py").read_text().replace(
        "            sock.sendall(b'Welcome!')", "            pass")
    assert "sendall(b'Welcome!')" not in server
    sub = make_submission(tmp_path / "s", {"contactserver.py": server,
                                           "contactclient.py": EXAMPLES / "alice" / "contactclient.py"})
    result = engine.grade(sub, specs["tcp-contacts-threaded"])
    pair = by_name(result)["student client with student server"]
    assert not pair.passed and pair.side == "pair"
    note = next(n for n in pair.notes if n.startswith("Where your pair parts"))
    assert "message 1: the reference server sends 'Welcome!' here; your server sent nothing" in note
    assert result.sides["client"] == [2.0, 2.0]           # the client alone is right
    assert result.sides["server"][0] < result.sides["server"][1]


def test_a_pair_whose_sides_pass_alone_is_said_to_disagree():
    from grader.grading.engine import PAIR_NOTE
    from grader.grading.pairs import note_disagreement
    from grader.results import Status, TestResult

    def test(name, side, passed, notes=(), parted=False):
        return TestResult(name, ["protocol"], 1.0 if passed else 0.0, 1.0, Status.verdict(passed), side=side,
                          notes=list(notes), parted=parted)

    pair = test("pair", "pair", False, [f"{PAIR_NOTE}: message 2: ..."], parted=True)
    note_disagreement([test("server", "server", True), test("client", "client", True), pair])
    assert pair.notes[0].startswith("Your client and your server each pass against the reference")

    pair = test("pair", "pair", False, [f"{PAIR_NOTE}: message 2: ..."], parted=True)
    note_disagreement([test("server", "server", False), pair])
    assert len(pair.notes) == 1                      # a failing side explains it already

    # Whether the pair parted from the reference is what the engine found, never read from the notes' words.
    pair = test("pair", "pair", False, [f"{PAIR_NOTE}: message 2: ..."])
    note_disagreement([test("server", "server", True), test("client", "client", True), pair])
    assert len(pair.notes) == 1