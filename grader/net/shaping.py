"""Seeded misbehaviour of a UDP path: drop, duplicate, delay and reorder datagrams.

A ``NetworkProfile`` (from the spec's ``networks:``) holds rules for each
direction. The relay asks ``Shaper.plan`` what to do with every datagram; the
answer depends only on the seed and the datagram's number in its direction,
so the same seed loses the same datagrams on every run.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from grader.spec.network import DirectionRules


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
