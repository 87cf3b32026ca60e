"""``swarm: {...}``: many clients at once, each playing its own copy of the steps (``${i}`` is its
number), then a checker client plays ``then`` (``grader.kinds.runners.swarm`` runs and measures it)."""
from __future__ import annotations

from dataclasses import dataclass, replace

import yaml

from grader.kinds.base import TestKind, against_server
from grader.spec.modes import Transport
from grader.spec.model import KindParams, Step
from grader.steps import action_of

CLIENT_NUMBER = "${i}"

DEFS = yaml.safe_load("""
swarm:
  description: "many clients at once; ${i} in a step is the client's number (1..clients)"
  type: object
  additionalProperties: false
  required: [clients, steps]
  properties:
    clients: {type: integer, minimum: 2, maximum: 100}
    at_once:
      type: integer
      minimum: 1
      maximum: 100
      description: "how many clients the server must serve at the same time (default: all of them; at most `clients`)"
    steps:
      description: what every client does, all of them at the same time
      type: array
      minItems: 1
      items: {$ref: "#/$defs/step"}
    then:
      description: "afterwards, from one new client; a run of steps using ${i} repeats for every i"
      type: array
      items: {$ref: "#/$defs/step"}
""")


@dataclass(frozen=True)
class Swarm(KindParams):
    """Many clients at once: each runs its own copy of the steps, then one checker runs ``then``.

    ``at_once``: how many clients the server must serve at the same time (0: all of them). A client
    counts as served at its *measured reply* (``measured_reply``): it waits there, connection open,
    until enough clients are served together or the others have failed (``grader.kinds.runners.swarm``).
    """
    per_client: tuple[tuple[Step, ...], ...]
    then: tuple[Step, ...] = ()
    at_once: int = 0
    # Which reply marks a client served (1 = the first step that awaits one): the last reply it awaits
    # before its connection ends; None when there is none, and the swarm cannot tell who was served.
    measured_reply: int | None = None
    datagrams: bool = False        # over UDP: no connection to hold open, so clients are answered, not
                                   # served together (what listings and the figures say)

    @property
    def needed(self) -> int:
        """How many clients must be served at the same time."""
        return self.at_once or len(self.per_client)

    def step_runs(self):
        return (self.per_client[0], self.then)     # every client plays the first's steps, numbered

    @classmethod
    def from_dict(cls, d: dict) -> "Swarm":
        return cls(tuple(tuple(Step.from_dict(s) for s in steps) for steps in d["per_client"]),
                   tuple(Step.from_dict(s) for s in d.get("then", ())), d.get("at_once", 0),
                   d.get("measured_reply"), d.get("datagrams", False))


class SwarmKind(TestKind):
    key = "swarm"
    name = "swarm"
    schema = {"$ref": "#/$defs/swarm"}
    defs = DEFS
    params = Swarm

    def build(self, value, raw, path, ctx):
        """``${i}`` is filled in now, so the worker runs plain steps."""
        w, path, timeout = value, path + ("swarm",), ctx.timeout(raw)
        steps = ctx.steps(w["steps"], path + ("steps",), timeout, spend=False)
        if ctx.steps_built + w["clients"] * len(steps) > ctx.max_steps:
            raise ctx.over_budget(path + ("clients",))
        per_client = tuple(tuple(ctx.spend(_numbered(s, i, f"s{i}"), path + ("clients",)) for s in steps)
                           for i in range(1, w["clients"] + 1))
        measured = measured_reply(per_client[0])
        at_once = _at_once(w, measured, path, ctx)
        then: list[Step] = []
        run: list[Step] = []          # a run of steps using ${i}: played for every client's number
        for step in [*ctx.steps(w.get("then", ()), path + ("then",), timeout, spend=False), None]:
            if step is not None and _mentions_number(step):
                run.append(step)
                continue
            then += [ctx.spend(_numbered(s, i, "checker"), path + ("then",))
                     for i in range(1, w["clients"] + 1) for s in run]
            run = []
            if step is not None:
                then.append(ctx.spend(replace(step, client="checker"), path + ("then",)))
        return Swarm(per_client, tuple(then), at_once, measured, ctx.transport == Transport.UDP)

    def budget(self, test):
        swarm = test.params
        steps = max(swarm.per_client, key=len) + swarm.then
        return test.startup_timeout + sum(action_of(s).budget(s) for s in steps)

    def summary(self, test):
        swarm = test.params
        return f"{len(swarm.per_client)} clients at once, {swarm.needed} " \
               + ("answered" if swarm.datagrams else "served together")

    def run(self, job, outcome):
        from grader.kinds.runners.swarm import run_swarm
        against_server(job, outcome, lambda server, address: run_swarm(job, server, outcome, address))


def measured_reply(steps) -> int | None:
    """Which reply marks a client served (1 = the first step that awaits one): the last it awaits
    before its connection ends (a close, an expect of the close); None when there is none."""
    replies, found = 0, None
    for step in steps:
        action = action_of(step)
        if action.ends_connection(step):
            break
        if action.awaits_reply(step):
            replies += 1
            found = replies
    return found


def _numbered(step: Step, i: int, client: str) -> Step:
    fill = lambda text: text.replace(CLIENT_NUMBER, str(i)) if text is not None else None  # noqa: E731
    expect = step.expect and replace(step.expect, values=tuple(fill(v) for v in step.expect.values))
    return replace(step, client=client, text=fill(step.text), expect=expect, origin=fill(step.origin))


def _mentions_number(step: Step) -> bool:
    texts = [step.text or ""] + list(step.expect.values if step.expect else ())
    return any(CLIENT_NUMBER in t for t in texts)


def _at_once(w: dict, measured: int | None, path: tuple, ctx) -> int:
    """``at_once`` (default: every client), checked against the swarm's clients and steps."""
    clients = w["clients"]
    at_once = w.get("at_once", clients)
    if at_once > clients:
        raise ctx.error(f"`at_once` is {at_once}, more than the swarm's {clients} clients", path + ("at_once",),
                        f"allowed: from 1 to `clients` ({clients}); leave it out to need all of them at once")
    if at_once >= 2 and measured is None:
        raise ctx.error(f"the swarm must serve {at_once} clients at once, but its steps expect no reply "
                        "before the connection ends, so nobody can be seen served", path + ("steps",),
                        "add an `expect` of the server's reply to the steps (before any `close`), "
                        "or set `at_once: 1` to need no clients served together")
    return at_once
