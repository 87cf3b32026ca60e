"""The course file, ``sockgrade.toml`` in the current folder (or ``--config FILE``).

It says what a teacher would otherwise repeat on every run: the course's
assignments (shipped spec ids or spec files) with their weights and due dates,
extensions per student, the late, bonus and misnamed-file policies, the default
outputs, ``jobs`` and ``isolation``. Flags on the command line override it. A
mistake is reported with the file, the line and the key. ``grade new-course``
writes a commented one (``COMMENTED`` below).
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from grader.reporting.formats import OutputFormat
from grader.runner.isolation import CHOICES
from grader.textfile import TOML_REFUSES, NotText, decoded

DEFAULT = "sockgrade.toml"
TOP_KEYS = ("isolation", "jobs", "course", "late", "outputs", "assignment", "extensions")


class ConfigError(Exception):
    """A mistake in the course file: the message names the file, line and key."""


class BonusPolicy(StrEnum):
    """How bonus points count in a percent (``[course] bonus``)."""
    CAP = "cap"                # the percent never above 100
    COUNT = "count"            # bonus adds past it
    IGNORE = "ignore"          # bonus not counted


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
    return _Reader(Path(path), text).config(data)


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text

    def fail(self, keys: tuple, message: str):
        where = "".join(f"[{k + 1}]" if isinstance(k, int) else f".{k}" for k in keys).lstrip(".")
        raise ConfigError(f"{self.path}:{_line(self.text, keys)}: {where}: {message}")

    def config(self, data: dict) -> Config:
        for key in data:
            if key not in TOP_KEYS:
                self.fail((key,), f"unknown setting; the settings are: {', '.join(TOP_KEYS)}")
        course = self.table(data, "course", {"name": str, "bonus": str, "misnamed_penalty": (int, float)})
        late = self.table(data, "late", {"per_day": (int, float), "max_days": (int, float),
                                         "grace_minutes": (int, float)})
        outputs = self.table(data, "outputs", {k: str for k in OutputFormat})
        isolation = data.get("isolation")
        if isolation is not None and isolation not in CHOICES:
            self.fail(("isolation",), f"{isolation!r} is not one of {', '.join(CHOICES)}")
        jobs = data.get("jobs")
        if jobs is not None and (type(jobs) is not int or jobs < 1):
            self.fail(("jobs",), "must be a whole number, at least 1 (leave it out to follow the machine)")
        bonus = course.get("bonus", BonusPolicy.CAP)
        if bonus not in tuple(BonusPolicy):
            self.fail(("course", "bonus"), f"{bonus!r} is not one of {', '.join(BonusPolicy)}")
        self.percent(("course", "misnamed_penalty"), course.get("misnamed_penalty", 0))
        self.percent(("late", "per_day"), late.get("per_day", 0))
        for key in ("max_days", "grace_minutes"):
            if late.get(key, 0) < 0:
                self.fail(("late", key), "must not be negative")
        assignments = self.assignments(data.get("assignment", []))
        return Config(source=self.path, isolation=isolation, jobs=jobs, name=course.get("name", ""),
                      bonus=BonusPolicy(bonus),
                      misnamed_penalty=float(course.get("misnamed_penalty", 0)),
                      late=LatePolicy(float(late.get("per_day", 0)), late.get("max_days"),
                                      float(late.get("grace_minutes", 0))),
                      outputs={k: self.relative(v) for k, v in outputs.items()}, assignments=assignments,
                      extensions=self.extensions(data.get("extensions", {}), assignments))

    def table(self, data: dict, name: str, keys: dict) -> dict:
        table = data.get(name, {})
        if not isinstance(table, dict):
            self.fail((name,), "must be a table ([" + name + "])")
        for key, value in table.items():
            if key not in keys:
                self.fail((name, key), f"unknown setting; [{name}] takes: {', '.join(keys)}")
            if not isinstance(value, keys[key]) or isinstance(value, bool):
                kind = "text" if keys[key] is str else "a number"
                self.fail((name, key), f"must be {kind}, not {value!r}")
        return table

    def percent(self, keys: tuple, value) -> None:
        if not 0 <= value <= 100:
            self.fail(keys, f"is a percentage of the assignment's points: 0 to 100, not {value}")

    def relative(self, value: str) -> Path:
        path = Path(value)
        return path if path.is_absolute() else self.path.parent / path

    def assignments(self, entries) -> tuple[Assignment, ...]:
        if not isinstance(entries, list):
            self.fail(("assignment",), "must be a list of tables, each starting [[assignment]]")
        found, seen = [], set()
        for number, entry in enumerate(entries):
            keys = ("assignment", number)
            for key in entry:
                if key not in ("spec", "weight", "due", "title", "canvas_id"):
                    self.fail(keys + (key,), "unknown setting; [[assignment]] takes: spec, weight, due, title, "
                                             "canvas_id")
            spec = entry.get("spec")
            if not isinstance(spec, str) or not spec:
                self.fail(keys + ("spec",), "each [[assignment]] needs spec = a shipped spec's id or a spec file")
            if spec.endswith((".yaml", ".yml")):
                spec = str(self.relative(spec).resolve())
            if spec in seen:
                self.fail(keys + ("spec",), f"{entry['spec']} is declared twice")
            seen.add(spec)
            weight = entry.get("weight")
            if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))
                                       or weight <= 0):
                self.fail(keys + ("weight",), "must be a number above 0 (leave it out to weigh the assignment "
                                              "by its points)")
            for key in ("title", "canvas_id"):
                if not isinstance(entry.get(key, ""), (str, int)) or isinstance(entry.get(key), bool):
                    self.fail(keys + (key,), "must be text")
            found.append(Assignment(spec, float(weight) if weight is not None else None,
                                    self.date(keys + ("due",), entry.get("due")), str(entry.get("title", "")),
                                    str(entry.get("canvas_id", ""))))
        return tuple(found)

    def extensions(self, table, assignments) -> dict:
        if not isinstance(table, dict):
            self.fail(("extensions",), "must be a table: student = { assignment = new due date }")
        ids = {}
        for number, a in enumerate(assignments):
            ids.update({a.spec: number, Path(a.spec).name: number, Path(a.spec).stem: number})
        result: dict[str, dict[int, dt.datetime]] = {}
        for student, dues in table.items():
            if not isinstance(dues, dict):
                self.fail(("extensions", student), "must be a table: { assignment = new due date }")
            for spec, due in dues.items():
                keys = ("extensions", student, spec)
                if spec not in ids:
                    names = ", ".join(Path(a.spec).stem for a in assignments) or "none declared"
                    self.fail(keys, f"{spec} is none of the course's assignments ({names})")
                result.setdefault(student, {})[ids[spec]] = self.date(keys, due)
        return result

    def date(self, keys: tuple, value) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.astimezone()
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time(23, 59, 59)).astimezone()
        self.fail(keys, f"must be a date and time, e.g. 2026-10-09T23:59:00+08:00 (TOML, no quotes), not {value!r}")


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
