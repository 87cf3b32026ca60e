"""The spec's JSON Schema: ``schema.yaml``, with each test kind's key and each step action's key (and
what they define) put in by their modules (grader.kinds, grader.steps); and the validator the grader
reads a schema with."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

from grader.kinds import KINDS
from grader.steps import ACTIONS


@lru_cache(maxsize=1)
def schema() -> dict:
    """schema.yaml, with every kind's and action's part in it."""
    text = resources.files("grader.specfile").joinpath("schema.yaml").read_text(encoding="utf-8")
    whole = yaml.safe_load(text)
    defs = whole["$defs"]
    for kind in KINDS:
        defs.update(kind.defs)
        defs["test"]["properties"][kind.key] = kind.schema
    defs["test"]["oneOf"] = [{"required": [kind.key]} for kind in KINDS]
    for action in ACTIONS.values():
        defs["step"]["properties"][action.name] = action.schema
        defs["step"]["properties"].update(action.options)
    return whole


@lru_cache(maxsize=1)
def validator():
    """The spec schema's validator."""
    return validator_for(schema())


def validator_for(schema_: dict, types: dict | None = None):
    """A validator of ``schema_`` where an integer is an int: JSON Schema also counts 5.0 and 1.0e+20,
    which no count, port or limit can use. ``types``: more type names, each with its test of a value
    (a TOML file has dates, which JSON has not)."""
    import jsonschema       # here, not at the top: a file refused while it is read never waits for it
    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    for name, test in (types or {}).items():
        checker = checker.redefine(name, lambda _checker, value, test=test: test(value))
    return jsonschema.validators.extend(base, type_checker=checker)(schema_)
