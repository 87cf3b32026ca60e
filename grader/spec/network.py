"""A lossy network as a spec describes it (``networks:``): rules for each direction, applied by
``grader.net.shaping``."""
from __future__ import annotations

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
