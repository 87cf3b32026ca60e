"""Seeded random conversations for a text protocol: who sends which command when.

A spec's ``generate:`` block gives command templates such as ``add;{name};{phone}``
and, if it needs more than the contact book's ``{name}``, ``{phone}`` and ``{text}``,
its own placeholders (``vocabulary``). This module fills them in. Values of a
placeholder with ``distinct: N`` are drawn once per conversation and come back (a name
added, then found, removed, added again); some are unicode, and a ``long`` placeholder
brings a command near the course's 1024-byte ``recv`` limit.

Which templates change the server's state is not read from their order: the caller
learns it from the reference (``forgetful.learn``) and hands it in as ``Roles``. A
candidate is shaped to need the whole state (something stored first, from one client,
read last by another, with other things stored between); whether it really does is the
reference's to say (``forgetful.choose``), which draws the next candidate from the same
``random.Random`` when not.

Why not hypothesis: each example here costs real server runs of several
seconds (students sleep 1 s per message), so its generate-and-shrink loop
would take minutes per student, and its example database would make two runs
of the same seed differ. A seeded ``random.Random`` per conversation gives the
same conversation for the same seed on every machine; shrinking is done by
``grader.kinds.runners.generated`` within a fixed budget of runs.
"""
from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:       # the kind imports this module when its tests run: no import back
    from grader.kinds.generated import Generation, Placeholder

MAX_MESSAGE = 1024        # the course's recv(1024)
LONG_HEADS = ("长名字", "long")
ALPHABETS = {"letters": string.ascii_lowercase, "digits": string.digits,
             "unicode": "aáéñøßçü张三李四王五你好世界", "printable": string.ascii_letters + string.digits + " -_.,!?"}
SLOT = re.compile(r"\{(\w+)\}")

Round = tuple[tuple[str, str], ...]     # ((client, command), ...) sent together, then answered


@dataclass(frozen=True)
class Roles:
    """What the reference showed about each template (indices into ``commands``)."""
    writers: frozenset[int]     # its command changes what a later command is answered
    readers: frozenset[int]     # its answer changes with what an earlier command did

    @classmethod
    def unknown(cls, gen: Generation) -> "Roles":
        every = frozenset(range(len(gen.commands)))
        return cls(every, every)


def slots(template: str) -> list[str]:
    return SLOT.findall(template)


def vocabulary(gen: Generation) -> dict[str, Placeholder]:
    return {p.name: p for p in gen.placeholders}


def draw(p: Placeholder, rng: random.Random) -> str:
    """One ordinary (not long) value of ``p``."""
    if p.words:
        return rng.choice(p.words)
    if p.integers:
        return str(rng.randint(*p.integers))
    alphabet = ALPHABETS.get(p.alphabet, p.alphabet) or ALPHABETS["letters"]
    return p.prefix + "".join(rng.choice(alphabet) for _ in range(rng.randint(*p.length)))


def widest(p: Placeholder) -> int:
    """The most bytes an ordinary value of ``p`` takes."""
    if p.words:
        return max(len(w.encode()) for w in p.words)
    if p.integers:
        return max(len(str(v)) for v in p.integers)
    alphabet = ALPHABETS.get(p.alphabet, p.alphabet) or ALPHABETS["letters"]
    return len(p.prefix.encode()) + p.length[1] * max(len(c.encode()) for c in alphabet)


def long_value(gen: Generation, name: str, rng: random.Random) -> str:
    """A value of ``name`` that brings the longest command using it within a few bytes of the limit."""
    words = vocabulary(gen)
    overhead = max(len(SLOT.sub("", t).encode()) + sum(widest(words[s]) for s in slots(t) if s != name)
                   for t in gen.commands if name in slots(t))
    budget = MAX_MESSAGE - overhead - rng.randint(0, 8)
    head = rng.choice(LONG_HEADS)
    value = head + "".join(rng.choice(string.ascii_lowercase) for _ in range(budget))
    while len(value.encode()) > budget:
        value = value[:-1]
    return value


class _Conversation:
    """The values one candidate draws from: a pool per ``distinct`` placeholder."""

    def __init__(self, gen: Generation, rng: random.Random):
        self.gen, self.rng = gen, rng
        self.words = vocabulary(gen)
        self.pools: dict[str, list[str]] = {}
        for p in gen.placeholders:
            if p.distinct:
                pool: list[str] = []
                for _ in range(p.distinct * 4):          # a short word list gives fewer
                    if len(pool) == p.distinct:
                        break
                    value = draw(p, rng)
                    if value not in pool:
                        pool.append(value)
                self.pools[p.name] = pool
        if gen.index % 2 == 0:
            # Every other conversation stores a long value first and reads it back last.
            for p in gen.placeholders:
                if p.long and p.distinct and any(p.name in slots(t) for t in gen.commands):
                    self.pools[p.name][0] = long_value(gen, p.name, rng)

    def keys(self, template: str) -> list[str]:
        return [s for s in dict.fromkeys(slots(template)) if s in self.pools]

    def fill(self, template: str, chosen: dict[str, str]) -> str:
        return SLOT.sub(lambda m: chosen.get(m.group(1)) or draw(self.words[m.group(1)], self.rng), template)

    def pick(self, template: str, avoid: set[tuple[str, str]], not_first: bool = False) -> dict[str, str] | None:
        """Pooled values for ``template`` none of which is in ``avoid``; None if there are none left."""
        chosen = {}
        for key in self.keys(template):
            options = [v for i, v in enumerate(self.pools[key])
                       if (key, v) not in avoid and not (not_first and i == 0)] or \
                      [v for v in self.pools[key] if (key, v) not in avoid]
            if not options:
                return None
            chosen[key] = self.rng.choice(options)
        return chosen


def candidates(gen: Generation, roles: Roles | None = None) -> Iterator[list[Round]]:
    """Conversations shaped to need the whole state, one after another from the test's seed."""
    rng = random.Random(f"{gen.seed}:{gen.index}")
    roles = roles or Roles.unknown(gen)
    while True:
        yield _candidate(gen, roles, rng)


def conversation(gen: Generation, roles: Roles | None = None) -> list[Round]:
    """The first candidate (what a conversation is before the reference has chosen among them)."""
    return next(candidates(gen, roles))


def _candidate(gen: Generation, roles: Roles, rng: random.Random) -> list[Round]:
    talk = _Conversation(gen, rng)
    clients = [f"c{i + 1}" for i in range(gen.clients)]
    templates = list(range(len(gen.commands)))
    writers = sorted(roles.writers) or templates
    readers = sorted(roles.readers) or templates
    first_client = rng.choice(clients)
    first_template = gen.commands[rng.choice(writers)]
    first = {k: talk.pools[k][0] for k in talk.keys(first_template)}
    rounds: list[Round] = [((first_client, talk.fill(first_template, first)),)]
    middle = gen.length - 2
    sent = 0
    while sent < middle:
        # The first command between stores something else, so that only the last thing stored is not enough.
        templates_now = writers if sent == 0 else templates
        burst = min(rng.choice((1, 1, 2, 3)), middle - sent, len(clients))
        who = rng.sample(clients, burst)
        taken: set[tuple[str, str]] = set()
        round_: list[tuple[str, str]] = []
        for client in who:
            index = rng.choice(templates_now)
            template = gen.commands[index]
            chosen = talk.pick(template, taken, not_first=index in roles.writers)
            # Commands sent together use different values, so their answers do not depend on which one
            # the server handles first; a command with no pooled value (a count, a list) goes alone.
            alone = not talk.keys(template)
            if round_ and (chosen is None or alone):
                break
            chosen = chosen or {}
            taken |= set(chosen.items())
            round_.append((client, talk.fill(template, chosen)))
            if alone:
                break
        rounds.append(tuple(round_))
        sent += len(round_)
    if gen.length >= 2:
        others = [c for c in clients if c != first_client] or clients
        last_template = gen.commands[rng.choice(readers)]
        rounds.append(((rng.choice(others), talk.fill(last_template, dict(first))),))
    return rounds
