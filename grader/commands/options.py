"""Option values checked as argparse reads them: a number out of range is one line before anything runs
(``grade: error: argument --fail-under: 150 is not a percent: give a number from 0 to 100``)."""
from __future__ import annotations

import argparse
import math
import re

SEED_MAX = 4294967295        # as a spec's `seed:` (grader/specfile/schema.yaml)


def _number(text: str, kind, wanted: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number: "
                                         f"give {wanted}") from None


def percent(text: str) -> float:
    value = _number(text, float, "a percent from 0 to 100")
    if not (math.isfinite(value) and 0 <= value <= 100):
        raise argparse.ArgumentTypeError(f"{text} is not a percent: give a number from 0 to 100")
    return value


def at_least_one(text: str) -> int:
    value = _number(text, int, "1 or more")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is too few: give 1 or more")
    return value


def seed(text: str) -> int:
    value = _number(text, int, f"a whole number from 0 to {SEED_MAX}")
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"{text} is out of range: give a whole number from 0 to {SEED_MAX}")
    return value


def port(text: str) -> int:
    value = _number(text, int, "a port from 1 to 65535")
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port: give a number from 1 to 65535")
    return value


def shard(text: str) -> str:
    """``K/N``, 1 <= K <= N: the K-th of N parts of a class."""
    found = re.fullmatch(r"(\d+)/(\d+)", text.strip())
    if not found:
        raise argparse.ArgumentTypeError(f"takes K/N, like 1/4 (the first of four parts), not {text!r}")
    k, n = map(int, found.groups())
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"{text}: K must be between 1 and N (1/4 to 4/4 for four parts)")
    return f"{k}/{n}"
