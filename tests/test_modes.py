"""A spec writes its modes as words, the grader compares them as members (grader/spec/modes.py): the
words the schema takes are the members' words, every place the schema names one of them."""
from __future__ import annotations

from grader.specfile import schema
from grader.spec.modes import Framing, MatchMode, Player, Transport

MODES = {"transport": Transport, "framing": Framing, "match": MatchMode, "server": Player, "program": Player}


def _enums(schema, found: dict):
    """Every ``{key: {enum: [...]}}`` of the schema whose key is a mode's, as key -> [its words, ...]."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in MODES and isinstance(value, dict) and "enum" in value:
                found.setdefault(key, []).append(value["enum"])
            _enums(value, found)
    elif isinstance(schema, list):
        for value in schema:
            _enums(value, found)
    return found


def test_the_schema_takes_the_words_of_the_modes():
    found = _enums(schema.schema(), {})
    assert set(found) == set(MODES)
    for key, lists in found.items():
        for words in lists:
            assert words == [m.value for m in MODES[key]], key
