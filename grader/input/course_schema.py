"""The course file's schema, ``course_schema.yaml`` (as ``grader/specfile/schema.py`` is the spec's), and
its mistakes explained: the first one in the file, at its line and key, in a teacher's words."""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from enum import StrEnum
from functools import lru_cache
from importlib import resources

import yaml

from grader.formats import OutputFormat
from grader.runner.isolation import CHOICES
from grader.specfile.schema import validator_for



class BonusPolicy(StrEnum):
    """How bonus points count in a percent (``[course] bonus``)."""
    CAP = "cap"                # the percent never above 100
    COUNT = "count"            # bonus adds past it
    IGNORE = "ignore"          # bonus not counted



def first_mistake(data: dict, text: str) -> tuple[tuple, str] | None:
    """The mistake of ``data`` (read from the TOML ``text``) that comes first in the file: its key path
    and what is wrong there; None when the schema accepts it."""
    found = [_explained(error) for error in _validator().iter_errors(data)]
    return min(found, key=lambda f: (_line(text, f[0]), -len(f[0])), default=None)


def located(source, text: str, keys: tuple, message: str) -> str:
    """A mistake at ``keys`` as FILE:LINE: KEY: MESSAGE (an [[array]]'s entries counted from 1)."""
    where = "".join(f"[{k + 1}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
    return f"{source}:{_line(text, keys)}: {where}: {message}"


@lru_cache(maxsize=1)
def _validator():
    """``course_schema.yaml``'s validator, the isolation levels and bonus policies put in; TOML's dates
    are a type of their own, and a number is finite."""
    text = resources.files("grader.input").joinpath("course_schema.yaml").read_text(encoding="utf-8")
    schema = yaml.safe_load(text)
    schema["properties"]["isolation"]["enum"] = [c.value for c in CHOICES]
    schema["properties"]["course"]["properties"]["bonus"]["enum"] = [b.value for b in BonusPolicy]
    schema["properties"]["outputs"]["properties"] = {f.value: {"type": "string"} for f in OutputFormat}
    return validator_for(schema, {
        "datetime": lambda value: isinstance(value, dt.date),
        "number": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
        and (isinstance(value, int) or math.isfinite(value))})


_NOUNS = {"string": "text", "number": "a number", "integer": "a whole number", "object": "a table",
          "array": "a list", "datetime": "a date and time, e.g. 2026-10-09T23:59:00+08:00 (TOML, no quotes)"}


def _explained(error) -> tuple[tuple, str]:
    """A schema error as the key it is at and what is wrong there, in the words of the schema's
    ``x-message`` when the key has one."""
    keys, schema, value = tuple(error.absolute_path), error.schema, error.instance
    if error.validator == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        key = next(k for k in value if k not in allowed)
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
        takes = f"{_header(keys)} takes" if keys else "the settings are"
        return keys + (key,), (f"unknown setting{f' (did you mean {close[0]}?)' if close else ''}; "
                               f"{takes}: {', '.join(allowed)}")
    if error.validator == "required":
        key = next(k for k in error.validator_value if k not in value)
        return keys + (key,), schema["properties"][key].get("x-message", "is missing")
    if "x-message" in schema:
        return keys, schema["x-message"].replace("{value}", repr(value))
    if error.validator == "enum":
        return keys, f"{value!r} is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "type":
        wanted = [error.validator_value] if isinstance(error.validator_value, str) else error.validator_value
        noun = " or ".join(_NOUNS.get(t, t) for t in wanted)
        table = f" ({_header(keys)})" if "object" in wanted else ""
        return keys, f"must be {noun}{table}, not {value!r}"
    return keys, error.message


def _header(keys: tuple) -> str:
    """The TOML header of the table at ``keys``: [late], or [[assignment]] for an entry of a list."""
    name = ".".join(k for k in keys if isinstance(k, str))
    return f"[[{name}]]" if keys and isinstance(keys[-1], int) else f"[{name}]"


def _line(text: str, keys: tuple) -> int:
    """The line of ``keys`` in the TOML text: the table (or the n-th [[array]] entry) first, then the key."""
    lines = text.splitlines()
    start, end = 0, len(lines)
    head, rest = keys[0], list(keys[1:])
    headers = [i for i, line in enumerate(lines) if re.match(rf"\s*\[\[?\s*{re.escape(str(head))}\s*\]\]?", line)]
    if rest and isinstance(rest[0], int) and headers:
        start = headers[min(rest.pop(0), len(headers) - 1)]
    elif headers and rest:
        start = headers[0]
    else:
        rest = [head] + rest
    following = [i for i in range(start + 1, end) if re.match(r"\s*\[", lines[i])]
    if following and start:
        end = following[0]
    for key in rest[-1:]:
        for i in range(start, end):
            if re.match(rf"\s*\"?{re.escape(str(key))}\"?\s*=", lines[i]) or \
                    re.search(rf"[{{,]\s*\"?{re.escape(str(key))}\"?\s*=", lines[i]):
                return i + 1
    return start + 1
