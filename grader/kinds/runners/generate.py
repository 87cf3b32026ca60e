"""Seeded random conversations for a text protocol: who sends which command when.

A spec's ``generate:`` block gives command templates such as
``add;{name};{phone}`` (the first one should be the command that stores
something); this module fills them in. Names repeat on purpose
(overwrites, removes of removed names), include unicode (张三) and one long
name that brings a command near the course's 1024-byte ``recv`` limit.

Why not hypothesis: each example here costs real server runs of several
seconds (students sleep 1 s per message), so its generate-and-shrink loop
would take minutes per student, and its example database would make two runs
of the same seed differ. A seeded ``random.Random`` per conversation gives the
same conversation for the same seed on every machine; shrinking is done by
``grader.kinds.runners.generated`` within a fixed budget of runs.
"""
from __future__ import annotations

import random

from typing import TYPE_CHECKING

if TYPE_CHECKING:       # the kind imports this module when its tests run: no import back
    from grader.kinds.generated import Generation

MAX_MESSAGE = 1024        # the course's recv(1024)
NAMES = ("zhangsan", "lisi", "wangwu", "zhaoliu", "张三", "李四", "王五", "Ana María", "o'neil")
WORDS = ("hello", "see you", "你好", "lunch at 12", "ok")


Round = tuple[tuple[str, str], ...]     # ((client, command), ...) sent together, then answered


def _long_name(rng: random.Random, templates) -> str:
    """A name that brings the longest command within a few bytes of the limit."""
    overhead = max(len(t.replace("{name}", "").replace("{phone}", "0" * 11).replace("{text}", "x" * 12)
                       .encode()) for t in templates)
    budget = MAX_MESSAGE - overhead - rng.randint(0, 8)
    head = "长名字" if rng.random() < 0.5 else "long"
    name = head + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(budget))
    while len(name.encode()) > budget:
        name = name[:-1]
    return name


def conversation(gen: Generation) -> list[Round]:
    rng = random.Random(f"{gen.seed}:{gen.index}")
    pool = rng.sample(NAMES, 3)
    clients = [f"c{i + 1}" for i in range(gen.clients)]
    rounds: list[Round] = []
    sent = 0
    if gen.index % 2 == 0:
        # Every other conversation starts by storing a long name with the first
        # template (by convention the one that stores, like add) and reuses it later.
        long_name = _long_name(rng, gen.commands)
        rounds.append(((rng.choice(clients), _fill(gen.commands[0], long_name, rng)),))
        pool.append(long_name)
        sent = 1
    while sent < gen.length:
        burst = min(rng.choice((1, 1, 2, 3)), gen.length - sent, len(clients), len(pool))
        who = rng.sample(clients, burst)
        # Commands sent together use different names, so their answers do not
        # depend on which one the server handles first.
        names = rng.sample(pool, burst)
        rounds.append(tuple((c, _fill(rng.choice(gen.commands), n, rng)) for c, n in zip(who, names)))
        sent += burst
    return rounds


def _fill(template: str, name: str, rng: random.Random) -> str:
    phone = "1" + "".join(rng.choice("0123456789") for _ in range(rng.choice((2, 5, 10))))
    return template.replace("{name}", name).replace("{phone}", phone).replace("{text}", rng.choice(WORDS))
