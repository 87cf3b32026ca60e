"""What a step action is: the unit a test's ``steps`` are made of (connect, send, expect, close, ...),
and a client run's ``interact`` (prompt, type, eof).

An action owns everything about its key in a spec: the JSON Schema of the key's value, how the loader
builds a ``Step`` from it, how long it may take, and how it is played: on a test-side client (a
``grader.net.peer.Peer``) or, ``on_terminal``, on a client program's terminal. ``grader.steps``
registers every action; nothing else names one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from grader.net.peer import Peer, Verdict
from grader.spec.model import Step

if TYPE_CHECKING:
    from grader.runner.pty_program import PtyProgram


@dataclass
class Playing:
    """What an action may use while it is played: the test-side client it is played on (``peer``),
    or the client program at whose terminal (``program``); the worker's job (transcript, captured
    variables, mode), the test's outcome (answers recorded from the reference), the step's index in
    its list, and whom to tell of each expected reply (a swarm counts served clients that way)."""
    job: object
    outcome: object
    index: int
    on_reply: object = None
    peer: Peer | None = None
    program: PtyProgram | None = None


class StepAction:
    name = ""                     # the key that makes a step this action
    schema: dict = {}             # JSON Schema of the key's value
    options: dict = {}            # other keys only this action takes, with their schema
    on_terminal = False           # played at a client program's terminal (``interact``), not on a socket
    sends = False                 # puts a message on the client's connection
    waits = False                 # the test waits here (a reply, silence, a pause): what was sent before
                                  # has reached the server before anything sent after it

    def build(self, value, raw: dict, common: dict, ctx, path: tuple) -> Step:
        """The step for ``raw`` (a step mapping whose action key holds ``value``); ``common`` holds the
        fields every step has (client, timeout, line, where); ``ctx`` builds expectations and errors
        (``path``: where ``raw`` is in the spec)."""
        return Step(action=self.name, **common)

    def budget(self, step: Step) -> float:
        """The longest this step can take, in seconds."""
        return step.timeout

    def ends_connection(self, step: Step) -> bool:
        """Whether the client's connection is over after this step."""
        return False

    def awaits_reply(self, step: Step) -> bool:
        """Whether this step waits for a message from the server (a swarm measures service at one)."""
        return False

    def play(self, step: Step, playing: Playing) -> Verdict | None:
        """Do the step; a Verdict that is not ok fails the test (None: nothing to judge)."""
        raise NotImplementedError
