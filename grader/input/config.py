"""The course file, ``sockgrade.toml`` in the current folder (or ``--config FILE``).

It says what a teacher would otherwise repeat on every run: the course's
assignments (shipped spec ids or spec files) with their weights and due dates,
extensions per student, the late, bonus and misnamed-file policies, the default
outputs, ``jobs`` and ``isolation``. Flags on the command line override it. It
is checked against its schema (``course_schema.yaml``), as a spec is against
its own; a mistake is reported with the file, the line and the key. ``grade
new-course`` writes a commented one (``COMMENTED`` below).
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from grader.reporting.formats import OutputFormat
from grader.runner.isolation import CHOICES
from grader.spec.schema import validator_for
from grader.textfile import TOML_REFUSES, NotText, decoded

DEFAULT = "sockgrade.toml"


class BonusPolicy(StrEnum):
    """How bonus points count in a percent (``[course] bonus``)."""
    CAP = "cap"                # the percent never above 100
    COUNT = "count"            # bonus adds past it
    IGNORE = "ignore"          # bonus not counted



class ConfigError(Exception):
    """A mistake in the course file: the message names the file, line and key."""


@dataclass(frozen=True)
class Assignment:
    spec: str                           # a shipped spec's id, or a spec file (absolute once loaded)
    weight: float | None = None         # None: the assignment's own points
    due: dt.datetime | None = None      # aware (a due date without an offset is the machine's local time)
    title: str = ""                     # the column's name in an LMS import; default the spec's title
    canvas_id: str = ""                 # Canvas's assignment id, for the import's column header


@dataclass(frozen=True)
class LatePolicy:
    per_day: float = 0.0                # percent of the assignment's points per day late, a started day counting
    max_days: float | None = None       # later than this: no points
    grace_minutes: float = 0.0


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    isolation: str | None = None
    jobs: int | None = None
    name: str = ""
    bonus: BonusPolicy = BonusPolicy.CAP
    misnamed_penalty: float = 0.0       # percent of an assignment's points, for a file found under another name
    late: LatePolicy = LatePolicy()
    outputs: dict[str, Path] = field(default_factory=dict)
    assignments: tuple[Assignment, ...] = ()
    extensions: dict[str, dict[int, dt.datetime]] = field(default_factory=dict)  # student -> assignment -> due

    @property
    def is_course(self) -> bool:
        return bool(self.assignments)

    def assignment_for(self, spec) -> int | None:
        """Which of the course's assignments a loaded spec is (its index), if any."""
        for number, a in enumerate(self.assignments):
            if a.spec == spec.id or (a.spec.endswith((".yaml", ".yml"))
                                     and Path(a.spec) == Path(spec.source).resolve()):
                return number
        return None

    def due(self, student: str, spec) -> dt.datetime | None:
        """The student's due date for the spec's assignment: their extension, else the course's."""
        number = self.assignment_for(spec)
        if number is None:
            return None
        return self.extensions.get(student, {}).get(number) or self.assignments[number].due


def load(path: Path | None = None) -> Config:
    """The course file at ``path``, or ./sockgrade.toml when there is one, else the defaults."""
    if path is None:
        path = Path(DEFAULT)
        if not path.is_file():
            return Config()
    try:
        text = decoded(Path(path).read_bytes(), TOML_REFUSES, "TOML")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except NotText as exc:
        raise ConfigError(f"{path}:{exc.line}: cannot read the course file as text: {exc}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")         # as text mode reads it
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    reader = _Reader(Path(path), text)
    reader.validate(data)
    return reader.config(data)


class _Reader:
    """The course file's settings, its mistakes pointed at with the file, the line and the key."""

    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text

    def error(self, keys: tuple, message: str) -> ConfigError:
        where = "".join(f"[{k + 1}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
        return ConfigError(f"{self.path}:{_line(self.text, keys)}: {where}: {message}")

    def validate(self, data: dict) -> None:
        """The first mistake in the file against the schema (``course_schema.yaml``), if any."""
        found = [_explained(error) for error in _validator().iter_errors(data)]
        if found:
            keys, message = min(found, key=lambda f: (_line(self.text, f[0]), -len(f[0])))
            raise self.error(keys, message)

    def config(self, data: dict) -> Config:
        """The settings of a file the schema accepts."""
        course, late = data.get("course", {}), data.get("late", {})
        assignments = self.assignments(data.get("assignment", []))
        return Config(source=self.path, isolation=data.get("isolation"), jobs=data.get("jobs"),
                      name=course.get("name", ""), bonus=BonusPolicy(course.get("bonus", BonusPolicy.CAP)),
                      misnamed_penalty=float(course.get("misnamed_penalty", 0)),
                      late=LatePolicy(float(late.get("per_day", 0)), late.get("max_days"),
                                      float(late.get("grace_minutes", 0))),
                      outputs={k: self.relative(v) for k, v in data.get("outputs", {}).items()},
                      assignments=assignments, extensions=self.extensions(data.get("extensions", {}), assignments))

    def relative(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.path.parent / path

    def assignments(self, entries: list[dict]) -> tuple[Assignment, ...]:
        found, seen = [], set()
        for number, entry in enumerate(entries):
            spec = entry["spec"]
            if spec.endswith((".yaml", ".yml")):
                spec = str(self.relative(spec).resolve())
            if spec in seen:
                raise self.error(("assignment", number, "spec"), f"{entry['spec']} is declared twice")
            seen.add(spec)
            weight = entry.get("weight")
            found.append(Assignment(spec, float(weight) if weight is not None else None, _due(entry.get("due")),
                                    str(entry.get("title", "")), str(entry.get("canvas_id", ""))))
        return tuple(found)

    def extensions(self, table: dict, assignments) -> dict[str, dict[int, dt.datetime]]:
        ids = {}
        for number, a in enumerate(assignments):
            ids.update({a.spec: number, Path(a.spec).name: number, Path(a.spec).stem: number})
        result: dict[str, dict[int, dt.datetime]] = {}
        for student, dues in table.items():
            for spec, due in dues.items():
                if spec not in ids:
                    names = ", ".join(Path(a.spec).stem for a in assignments) or "none declared"
                    raise self.error(("extensions", student, spec),
                                     f"{spec} is none of the course's assignments ({names})")
                result.setdefault(student, {})[ids[spec]] = _due(due)
        return result


def _due(value: dt.date | None) -> dt.datetime | None:
    """A due date, aware: a date alone ends at its last second; without an offset, it is the machine's time."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.astimezone()
    return dt.datetime.combine(value, dt.time(23, 59, 59)).astimezone()


@lru_cache(maxsize=1)
def _validator():
    """``course_schema.yaml``'s validator, the isolation levels, bonus policies and output formats put in; TOML's dates
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


COMMENTED = '''\
# sockgrade.toml: the course file. `grade CLASS` reads it from the current folder (or --config FILE);
# flags on the command line override it. Dates are TOML dates and times, without quotes.

# isolation = "sandbox"      # the default; "netns" or "none" accept less (see the README's Isolation)
# jobs = 8                   # tests at the same time; leave it out to follow the machine

[course]
name = "Network programming"
bonus = "cap"                # cap: a percent never above 100 | count: bonus adds past 100 | ignore
misnamed_penalty = 10        # % of an assignment's points when a file had to be found under another name

[late]
per_day = 10                 # % of the assignment's points per day late (a started day counts)
max_days = 7                 # later than this: no points
grace_minutes = 15           # an upload a few minutes late is on time

[outputs]                    # written on every run, as the flags of the same name would
csv = "results/grades.csv"
report = "results/report.html"
feedback = "results/feedback"
json = "results/results.json"
# moodle = "results/moodle-grades.csv"   # a Moodle grading worksheet to upload (from Moodle's download)
# canvas = "results/canvas-grades.csv"   # a Canvas gradebook import (from Canvas's download)
similar = "results/similar.json"         # grade similar writes it; grade names the students alike in it

# The course's assignments, in order. spec: a shipped spec's id or a spec file (relative to this file).
# weight: how much it counts (leave it out to weigh it by its points). due: its due date.
[[assignment]]
spec = "tcp-echo-threaded"
due = 2026-09-25T23:59:00+08:00

[[assignment]]
spec = "udp-echo"
due = 2026-10-09T23:59:00+08:00

[[assignment]]
spec = "udp-contacts"
due = 2026-10-23T23:59:00+08:00

[[assignment]]
spec = "tcp-contacts-threaded"
due = 2026-11-06T23:59:00+08:00

# Extensions: a student's own due date for an assignment (the student's name as `grade` shows it).
[extensions]
# "Alice Smith" = { udp-echo = 2026-10-12T23:59:00+08:00 }
'''
