"""What a test kind is: one way of testing a program (a startup check, a conversation, a client run, ...).

A kind owns everything about the key that makes a test of it (``startup:``, ``steps:``, ``client:``,
``generate:``, ``swarm:``): that key's JSON Schema, the dataclass of the test's parameters it holds
(``Test.params``) and how the loader builds them from the key, the checks the schema cannot make, which
roles the test runs, how long it may take, how a worker runs it, and how a listing describes it.
``grader.kinds`` registers every kind; nothing else names one.
"""
from __future__ import annotations

from grader.spec.model import KindParams, Test
from grader.spec.modes import Player, Side


class TestKind:
    key = ""                   # the test's key that makes it this kind
    name = ""                  # what listings and ``Test.kind`` call it
    schema: dict = {}          # JSON Schema of the key's value
    defs: dict = {}            # definitions it adds to the schema's $defs
    keeps_output = False       # a passing test keeps what the programs printed (a startup test shows it)
    params: type[KindParams] = KindParams     # the dataclass of its tests' ``params``

    def build(self, value, raw: dict, path: tuple, ctx) -> KindParams:
        """The test's ``params``, from ``value`` (``raw[self.key]``); ``ctx`` is the loader's builder:
        ``ctx.steps``, ``ctx.expectation``, ``ctx.error``, ``ctx.defaults``, ``ctx.spend``."""
        return self.params()

    def expand(self, test: Test) -> tuple[Test, ...]:
        """The tests this one stands for (a generated test asking for N conversations is N tests)."""
        return (test,)

    def roles(self, test: Test) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the student roles it runs, the roles whose reference program it runs)."""
        student = (test.server_role,) if test.server == Player.STUDENT else ()
        reference = (test.server_role,) if test.server == Player.REFERENCE or _needs_answers(test) else ()
        return student, reference

    def side(self, test: Test, student_roles: tuple[str, ...]) -> Side:
        """Whose work it judges: server, client, or the pair of them."""
        return Side.SERVER

    def check(self, test: Test, spec, path: tuple, ctx, known: set) -> None:
        """What the schema cannot say about this kind's part of a test (``known``: names captured so far)."""

    def budget(self, test: Test) -> float:
        """The longest the test may take in its worker, in seconds, before the grader's margin."""
        return test.startup_timeout

    def could_catch(self, test: Test, plays: Side, role: str) -> bool:
        """Whether a saboteur (``grade check``) playing ``role`` as a ``plays`` (server | client) must fail it."""
        return plays == Side.SERVER and test.server_role == role and test.server == Player.STUDENT

    def needs_whole_state(self, test: Test) -> bool:
        """Whether the test promises that a server keeping less than the whole state fails it (``grade
        check`` hands in forgetful copies of the reference for such tests only)."""
        return False

    def summary(self, test: Test) -> str:
        """A few words for listings: what the test does."""
        return self.name

    def run(self, job, outcome) -> None:
        """Run the test in its worker; fail it by raising ``grader.job.errors.TestFailed``."""
        raise NotImplementedError


def _needs_answers(test: Test) -> bool:
    return test.needs_reference_answers()


def against_server(job, outcome, converse) -> None:
    """Start the test's server, then ``converse(address)`` with it, through a relay that plays the
    test's lossy network if it has one. A server bound elsewhere is tested where it bound, with a note."""
    from grader.job.context import free_port
    from grader.job.servers import start_server
    test = job.test
    server = start_server(job, test.server_role, test.server)
    outcome.bound = str(server.socket)
    if server.port_problem:
        outcome.notes.append(server.port_problem + "; tested at that port")
    if test.network is None:
        converse(server, server.address)
        return
    from grader.net.relay import make_relay       # only tests behind a relay pay its import
    relay = make_relay(job.transport, ("127.0.0.1", free_port()), server.address, job.transcript,
                       who=None, profile=test.network)
    try:
        converse(server, relay.address)
    finally:
        relay.close()
