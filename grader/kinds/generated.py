"""``generate: {...}``: seeded random conversations from command templates, each checked against the
reference server's answers, a failure shrunk to a shortest one (``grader.kinds.runners.generated``)."""
from __future__ import annotations

from dataclasses import dataclass, replace

import yaml

from grader.kinds.base import TestKind
from grader.spec.model import KindParams
from grader.spec.modes import Player, Transport

# Shrinking a failing conversation runs it again and again, within this many seconds at most.
SHRINK_SECONDS = 60.0

DEFS = yaml.safe_load("""
generate:
  description: seeded random conversations checked against the reference server's answers
  type: object
  additionalProperties: false
  required: [commands]
  properties:
    commands:
      description: "command templates; {name}, {phone} and {text} are filled in at random"
      type: array
      minItems: 1
      items: {type: string}
    conversations: {type: integer, minimum: 1, maximum: 50}
    length: {type: integer, minimum: 1, maximum: 200, description: commands per conversation}
    clients: {type: integer, minimum: 1, maximum: 20}
    seed: {$ref: "#/$defs/seed"}
    welcome: {type: boolean, description: "TCP: each connection first receives one message"}
""")


@dataclass(frozen=True)
class Generation(KindParams):
    """One generated conversation of a test (the loader makes ``count`` of them)."""
    commands: tuple[str, ...]
    index: int = 0            # which conversation, 0-based
    count: int = 1
    seed: int = 1
    length: int = 8           # commands per conversation
    clients: int = 3
    welcome: bool = False     # TCP: every connection first receives one message
    timeout: float = 5.0      # seconds to wait for each reply

    def with_seed(self, seed):
        return replace(self, seed=seed)

    @classmethod
    def from_dict(cls, d: dict) -> "Generation":
        return cls(**{**d, "commands": tuple(d["commands"])})


class Generated(TestKind):
    key = "generate"
    name = "generated"
    schema = {"$ref": "#/$defs/generate"}
    defs = DEFS
    params = Generation

    def build(self, value, raw, path, ctx):
        g = value
        return Generation(commands=tuple(g["commands"]), count=g.get("conversations", 1),
                          seed=g.get("seed", 1), length=g.get("length", 8),
                          clients=g.get("clients", 3), welcome=g.get("welcome", False),
                          timeout=ctx.timeout(raw))

    def expand(self, test):
        """N conversations become N tests sharing the points, so they run side by side, each in its
        own namespace."""
        count = test.params.count
        if count == 1:
            return (test,)
        return tuple(replace(test, name=f"{test.name} ({i + 1}/{count})", points=round(test.points / count, 4),
                             params=replace(test.params, index=i)) for i in range(count))

    def roles(self, test):
        return ((test.server_role,) if test.server == Player.STUDENT else ()), (test.server_role,)

    def check(self, test, spec, path, ctx, known):
        if spec.transport == Transport.UDP and test.params.welcome:
            raise ctx.error("`welcome` is for TCP: a UDP server greets nobody", path + ("generate", "welcome"))

    def budget(self, test):
        g = test.params
        one_run = 2 * test.startup_timeout + (g.length + g.clients) * g.timeout * 2
        return test.startup_timeout + 2 * one_run + SHRINK_SECONDS

    def summary(self, test):
        g = test.params
        return (f"conversation {g.index + 1} of {g.count}: {g.length} commands from "
                f"{g.clients} clients, seed {g.seed}")

    def run(self, job, outcome):
        from grader.kinds.runners.generated import run_generated
        run_generated(job, outcome, SHRINK_SECONDS)
