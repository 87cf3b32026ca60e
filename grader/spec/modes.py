"""The words a spec uses for how its programs talk and who plays what, compared as members, never as
words. Each is a StrEnum: specs, a test's JSON and every report read and write the same words."""
from __future__ import annotations

from enum import StrEnum


class Transport(StrEnum):
    """How the assignment's programs talk (a spec's ``transport``)."""
    TCP = "tcp"
    UDP = "udp"


class Framing(StrEnum):
    """Where a message ends (a spec's ``framing``)."""
    NONE = "none"              # one send per message, one receive per reply
    NEWLINE = "newline"        # a message ends with \n


class MatchMode(StrEnum):
    """How an expectation compares text (its ``match``)."""
    TOLERANT = "tolerant"      # case, repeated whitespace and trailing punctuation aside
    EXACT = "exact"


class Player(StrEnum):
    """Whose program plays a role: a test's ``server``, a client run's ``program`` and ``server``."""
    STUDENT = "student"
    REFERENCE = "reference"


class Side(StrEnum):
    """Whose work a test judges (``Test.side``); SERVER and CLIENT also say who sent a message, and
    which kind of role a saboteur of ``grade check`` plays."""
    SERVER = "server"
    CLIENT = "client"
    PAIR = "pair"              # the student's client against the student's server
