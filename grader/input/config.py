"""The course file, ``sockgrade.toml`` in the current folder (or ``--config FILE``).

It says what a teacher would otherwise repeat on every run: the course's
assignments (shipped spec ids or spec files) with their weights and due dates,
extensions per student, the late, bonus and misnamed-file policies, the default
outputs, ``jobs`` and ``isolation``. Flags on the command line override it. It
is checked against its schema (``course_schema.py``), as a spec is against
its own; a mistake is reported with the file, the line and the key. ``grade
new-course`` writes a commented one (``COMMENTED`` below).
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.input.course_schema import BonusPolicy, first_mistake, located
from grader.textfile import TOML_REFUSES, NotText, decoded

DEFAULT = "sockgrade.toml"


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
        return ConfigError(located(self.path, self.text, keys, message))

    def validate(self, data: dict) -> None:
        """The file's first mistake against its schema, if any."""
        mistake = first_mistake(data, self.text)
        if mistake:
            raise self.error(*mistake)

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
