"""The test kinds, registered here and nowhere else: the key a test has names its kind.

To add one, write a module with a ``TestKind`` subclass (``base.py`` says what it owns) and the dataclass
of its parameters, and add it to ``KINDS``; the schema, the loader, the checks, the engine's time budget,
the worker, ``grade check`` and ``grade list`` all read this registry.
"""
from __future__ import annotations

from grader.kinds.base import TestKind
from grader.kinds.client import Client
from grader.kinds.conversation import Conversation
from grader.kinds.generated import Generated
from grader.kinds.idle import IdleKind
from grader.kinds.startup import Startup
from grader.kinds.swarm import SwarmKind
from grader.spec.model import Test

KINDS: tuple[TestKind, ...] = (Startup(), Conversation(), Client(), Generated(), SwarmKind(), IdleKind())
_BY_NAME = {kind.name: kind for kind in KINDS}


def kind_of(test) -> TestKind:
    """The kind of a built test (``Test.kind`` holds its name)."""
    return _BY_NAME[test.kind]


def test_from_dict(d: dict) -> Test:
    """A test as ``Test.to_dict`` wrote it (the worker receives it so), its ``params`` read by its kind."""
    return Test.from_dict(d, _BY_NAME[d["kind"]].params)


def kind_in(raw: dict) -> list[TestKind]:
    """The kinds whose key a test's mapping has (the schema allows exactly one)."""
    return [kind for kind in KINDS if kind.key in raw]


__all__ = ["KINDS", "TestKind", "kind_in", "kind_of", "test_from_dict"]
