"""``generate: {...}``: seeded random conversations from command templates, each checked against the
reference server's answers, a failure shrunk to a shortest one (``grader.kinds.runners.generated``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import yaml

from grader.kinds.base import TestKind
from grader.spec.model import KindParams
from grader.spec.modes import Player, Transport

# Shrinking a failing conversation runs it again and again, within this many seconds at most.
SHRINK_SECONDS = 60.0
# Choosing a conversation that needs the whole state runs the reference and its forgetful copies.
CHOOSE_SECONDS = 90.0

DEFS = yaml.safe_load("""
generate:
  description: seeded random conversations checked against the reference server's answers
  type: object
  additionalProperties: false
  required: [commands]
  properties:
    commands:
      description: "command templates; {name}, {phone}, {text} and the placeholders of `vocabulary` are filled in at random"
      type: array
      minItems: 1
      maxItems: 50
      items: {type: string, minLength: 1}
    vocabulary:
      description: "the spec's own placeholders, by name: what fills {NAME} in a command"
      type: object
      maxProperties: 20
      propertyNames: {pattern: "^[A-Za-z_][A-Za-z0-9_]*$"}
      additionalProperties: {$ref: "#/$defs/placeholder"}
    conversations: {type: integer, minimum: 1, maximum: 50}
    length: {type: integer, minimum: 1, maximum: 200, description: commands per conversation}
    clients: {type: integer, minimum: 1, maximum: 20}
    seed: {$ref: "#/$defs/seed"}
    welcome: {type: boolean, description: "TCP: each connection first receives one message"}
placeholder:
  description: "one of words, integers or characters; distinct and long for any"
  type: object
  additionalProperties: false
  minProperties: 1
  properties:
    words: {type: array, minItems: 1, maxItems: 1000, items: {type: string, minLength: 1}, description: a word from this list}
    integers: {type: array, minItems: 2, maxItems: 2, items: {type: integer}, description: "[LOWEST, HIGHEST]"}
    characters:
      description: "a string of LOW to HIGH characters from an alphabet"
      type: object
      additionalProperties: false
      required: [length]
      properties:
        length: {type: array, minItems: 2, maxItems: 2, items: {type: integer, minimum: 1, maximum: 900}}
        alphabet: {type: string, minLength: 1, description: "letters, digits, unicode, printable, or the characters themselves"}
        prefix: {type: string, description: "what every value begins with"}
    distinct: {type: integer, minimum: 0, maximum: 20, description: "a conversation uses this many values, again and again (0: a new one each time)"}
    long: {type: boolean, description: "in every other conversation one value brings a command near the 1024-byte recv"}
""")


@dataclass(frozen=True)
class Placeholder:
    """What fills ``{name}`` in a command template: words, integers, or characters of an alphabet."""
    name: str
    words: tuple[str, ...] = ()
    integers: tuple[int, int] | None = None
    length: tuple[int, int] = (1, 8)
    alphabet: str = "letters"
    prefix: str = ""
    distinct: int = 0         # values drawn once per conversation and used again and again; 0: fresh each time
    long: bool = False        # in every other conversation its first value is near the recv(1024) limit

    @classmethod
    def from_dict(cls, d: dict) -> "Placeholder":
        integers = d.get("integers")
        return cls(**{**d, "words": tuple(d.get("words", ())), "length": tuple(d.get("length", (1, 8))),
                      "integers": tuple(integers) if integers else None})

    @classmethod
    def from_spec(cls, name: str, raw: dict) -> "Placeholder":
        chars = raw.get("characters", {})
        lo, hi = raw.get("integers", (0, 0))
        return cls(name, words=tuple(raw.get("words", ())), integers=(lo, hi) if "integers" in raw else None,
                   length=tuple(chars.get("length", (1, 8))), alphabet=chars.get("alphabet", "letters"),
                   prefix=chars.get("prefix", ""), distinct=raw.get("distinct", 0), long=raw.get("long", False))


# The contact book's vocabulary, which every spec has unless it names its own placeholders so.
CONTACT_BOOK = (
    Placeholder("name", words=("zhangsan", "lisi", "wangwu", "zhaoliu", "张三", "李四", "王五", "Ana María",
                                "o'neil"), distinct=3, long=True),
    Placeholder("phone", length=(2, 10), alphabet="digits", prefix="1"),
    Placeholder("text", words=("hello", "see you", "你好", "lunch at 12", "ok")),
)
KINDS_OF_VALUE = ("words", "integers", "characters")


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
    placeholders: tuple[Placeholder, ...] = CONTACT_BOOK

    def with_seed(self, seed):
        return replace(self, seed=seed)

    @classmethod
    def from_dict(cls, d: dict) -> "Generation":
        return cls(**{**d, "commands": tuple(d["commands"]),
                      "placeholders": tuple(Placeholder.from_dict(p) for p in d["placeholders"])})


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
                          timeout=ctx.timeout(raw), placeholders=self._vocabulary(g, path, ctx))

    def _vocabulary(self, g, path, ctx) -> tuple[Placeholder, ...]:
        own = {}
        for name, raw in g.get("vocabulary", {}).items():
            where = path + ("generate", "vocabulary", name)
            kinds = [k for k in KINDS_OF_VALUE if k in raw]
            if len(kinds) != 1:
                raise ctx.error(f"placeholder {name!r} needs exactly one of words, integers or characters"
                                + (f" (it has {' and '.join(kinds)})" if kinds else ""), where)
            lo, hi = raw.get("integers", raw.get("characters", {}).get("length", (0, 0)))
            if lo > hi:
                raise ctx.error(f"placeholder {name!r}: the range [{lo}, {hi}] is empty", where)
            own[name] = Placeholder.from_spec(name, raw)
        words = {p.name: p for p in CONTACT_BOOK} | own
        for n, template in enumerate(g["commands"]):
            for slot in re.findall(r"\{(\w+)\}", template):
                if slot not in words:
                    raise ctx.error(f"command {template!r} uses {{{slot}}}, which is neither name, phone nor "
                                    f"text, nor a placeholder of `vocabulary`", path + ("generate", "commands", n))
        return tuple(words.values())

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

    def needs_whole_state(self, test):
        return True

    def budget(self, test):
        g = test.params
        one_run = 2 * test.startup_timeout + (g.length + g.clients) * g.timeout * 2
        return test.startup_timeout + 2 * one_run + SHRINK_SECONDS + CHOOSE_SECONDS

    def summary(self, test):
        g = test.params
        return (f"conversation {g.index + 1} of {g.count}: {g.length} commands from "
                f"{g.clients} clients, seed {g.seed}")

    def run(self, job, outcome):
        from grader.kinds.runners.generated import run_generated
        run_generated(job, outcome, SHRINK_SECONDS, CHOOSE_SECONDS)
