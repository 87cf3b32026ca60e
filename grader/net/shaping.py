"""Seeded misbehaviour of a UDP path: drop, duplicate, delay and reorder datagrams.

A ``NetworkProfile`` (from the spec's ``networks:``) holds rules for each
direction. The relay asks ``Shaper.plan`` what to do with every datagram; the
answer depends only on the seed and the datagram's number in its direction,
so the same seed loses the same datagrams on every run.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DirectionRules:
    drop: tuple[int, ...] = ()          # 1-based numbers of datagrams to lose
    duplicate: tuple[int, ...] = ()     # ... to deliver twice
    delay: float = 0.0                  # seconds added to every datagram
    jitter: float = 0.0                 # up to this many seconds more, at random
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder_rate: float = 0.0           # chance to hold a datagram until the next one passes

    @classmethod
    def from_dict(cls, d: dict | None) -> "DirectionRules":
        d = d or {}
        return cls(**{**d, "drop": tuple(d.get("drop", ())), "duplicate": tuple(d.get("duplicate", ()))})


@dataclass(frozen=True)
class NetworkProfile:
    name: str
    seed: int = 0
    to_server: DirectionRules = field(default_factory=DirectionRules)
    to_client: DirectionRules = field(default_factory=DirectionRules)

    @classmethod
    def from_dict(cls, d: dict) -> "NetworkProfile":
        return cls(d["name"], d.get("seed", 0), DirectionRules.from_dict(d.get("to_server")),
                   DirectionRules.from_dict(d.get("to_client")))


@dataclass
class Plan:
    copies: int = 1          # 0 = dropped
    delay: float = 0.0
    hold: bool = False       # release after the next datagram of this direction


class Shaper:
    def __init__(self, rules: DirectionRules, seed: int, direction: str):
        self.rules = rules
        self.rng = random.Random(f"{seed}:{direction}")
        self.count = 0

    def plan(self) -> Plan:
        self.count += 1
        r, n = self.rules, self.count
        # Draw every random number every time, so one rule never shifts another's luck.
        drop_roll, dup_roll, reorder_roll, jitter_roll = (self.rng.random() for _ in range(4))
        if n in r.drop or drop_roll < r.drop_rate:
            return Plan(copies=0)
        copies = 2 if n in r.duplicate or dup_roll < r.duplicate_rate else 1
        return Plan(copies=copies, delay=r.delay + r.jitter * jitter_roll, hold=reorder_roll < r.reorder_rate)
