"""Results as plain data: a test result, an assignment result per student.

Every reporter reads these objects (or their ``to_dict`` form); nothing here
runs or formats anything beyond the Gradescope-shaped dictionary.
"""
from __future__ import annotations

from dataclasses import dataclass, field



@dataclass
class Entry:
    t: float | None    # seconds since the test started (None: left out for a reproducible record)
    who: str           # client name, "server", "client program", "relay"
    event: str         # sent | received | connected | closed | note
    data: str = ""

    def line(self) -> str:
        arrow = {"sent": "->", "received": "<-"}.get(self.event, "--")
        body = repr(self.data) if self.event in ("sent", "received") else (self.data or self.event)
        when = "" if self.t is None else f"{self.t:7.3f}s "
        return f"{when}{self.who:>8} {arrow} {body}"


def render(entries: list[dict]) -> str:
    """A test's transcript as lines of text."""
    return "\n".join(Entry(**e).line() for e in entries)


@dataclass
class TestResult:
    name: str
    tags: list[str]
    points: float                 # earned
    max_points: float
    passed: bool
    bonus: bool = False
    hidden: bool = False
    reason: str = ""              # one line: why it failed (or a note when it passed)
    notes: list[str] = field(default_factory=list)
    hint: str = ""
    transcript: list[dict] = field(default_factory=list)
    server_output: str = ""
    client_output: str = ""
    duration: float = 0.0
    description: str = ""
    metrics: dict = field(default_factory=dict)    # e.g. served_at_once
    side: str = "server"                           # whose work it judges: server, client or pair
    grader_error: bool = False                     # the grader failed here, not the student

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"

    def output_text(self) -> str:
        """The full explanation a student reads: reason, hint, conversation, program output."""
        parts = []
        if self.reason:
            parts.append(self.reason)
        parts += self.notes
        if self.hint and not self.passed:
            parts.append(f"Hint: {self.hint}")
        if self.transcript and not self.passed:
            parts.append("Conversation:\n" + render(self.transcript))
        if self.client_output.strip() and not self.passed:
            parts.append("Client output:\n" + _tail(self.client_output))
        if self.server_output.strip() and not self.passed:
            parts.append("Server output:\n" + _tail(self.server_output))
        return "\n\n".join(parts)

    def to_dict(self) -> dict:
        """One entry of Gradescope's ``tests`` list, with our details in extra_data."""
        return {
            "name": self.name,
            "score": self.points,
            "max_score": 0 if self.bonus else self.max_points,
            "status": self.status,
            "output": self.output_text(),
            "tags": list(self.tags),
            "visibility": "after_published" if self.hidden else "visible",
            "extra_data": {
                "reason": self.reason, "notes": self.notes, "hint": self.hint,
                "bonus": self.bonus, "hidden": self.hidden, "points": self.max_points,
                "duration": self.duration, "transcript": self.transcript,
                "server_output": self.server_output, "client_output": self.client_output,
                "description": self.description, "metrics": self.metrics, "side": self.side,
                "grader_error": self.grader_error,
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> "TestResult":
        x = d.get("extra_data", {})
        return cls(name=d["name"], tags=list(d.get("tags", [])), points=d["score"],
                   max_points=x.get("points", d["max_score"]), passed=d["status"] == "passed",
                   bonus=x.get("bonus", False), hidden=x.get("hidden", False), reason=x.get("reason", ""),
                   notes=x.get("notes", []), hint=x.get("hint", ""), transcript=x.get("transcript", []),
                   server_output=x.get("server_output", ""), client_output=x.get("client_output", ""),
                   duration=x.get("duration", 0.0), description=x.get("description", ""),
                   metrics=x.get("metrics", {}), side=x.get("side", "server"),
                   grader_error=x.get("grader_error", False))


def _tail(text: str, lines: int = 30) -> str:
    kept = text.rstrip().splitlines()
    more = len(kept) - lines
    return "\n".join(([f"[... {more} earlier lines]"] if more > 0 else []) + kept[-lines:])


@dataclass
class AssignmentResult:
    student: str
    assignment: str
    title: str
    tests: list[TestResult]
    isolation: str = "none"
    files: dict[str, str] = field(default_factory=dict)
    error: str = ""               # grading itself failed for this submission
    duration: float = 0.0
    extra: dict = field(default_factory=dict)
    grader_error: bool = False    # ``error`` is the grader's or the machine's failure, not the submission's
    misnamed: dict[str, str] = field(default_factory=dict)   # role -> the file graded for it under another name
    submitted_at: str = ""        # ISO 8601, when the submission was handed in, where known
    student_id: str = ""          # the LMS's id for the student (Moodle's participant, Canvas's user), where known

    @property
    def infrastructure_failed(self) -> bool:
        """The grader or the machine failed (a crash, an interrupted test, a port taken): not a grade."""
        return self.grader_error or any(t.grader_error for t in self.tests)

    @property
    def score(self) -> float:
        return round(sum(t.points for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_points for t in self.tests if not t.bonus), 4)

    @property
    def sides(self) -> dict[str, list[float]]:
        """Score and maximum of the server's tests, the client's, and the pair's, apart."""
        sides: dict[str, list[float]] = {}
        for t in self.tests:
            score = sides.setdefault(t.side, [0.0, 0.0])
            score[0] += t.points
            score[1] += 0 if t.bonus else t.max_points
        return {side: [round(a, 4), round(b, 4)] for side, (a, b) in sorted(sides.items())}

    @property
    def bonus_score(self) -> float:
        return round(sum(t.points for t in self.tests if t.bonus), 4)

    def to_dict(self) -> dict:
        """A Gradescope results.json object plus student, assignment and max_score."""
        return {
            "student": self.student,
            "assignment": self.assignment,
            "score": self.score,
            "max_score": self.max_score,
            "output": self.error or f"{self.title}: {self.score:g} / {self.max_score:g}",
            "execution_time": round(self.duration, 3),
            "tests": [t.to_dict() for t in self.tests],
            "extra_data": {"title": self.title, "isolation": self.isolation, "files": self.files,
                           "error": self.error, "bonus_score": self.bonus_score, "sides": self.sides,
                           **({"grader_error": True} if self.grader_error else {}),
                           **({"misnamed": self.misnamed} if self.misnamed else {}),
                           **({"submitted_at": self.submitted_at} if self.submitted_at else {}),
                           **({"student_id": self.student_id} if self.student_id else {}), **self.extra},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "AssignmentResult":
        x = dict(d.get("extra_data", {}))
        known = {k: x.pop(k, default) for k, default in
                 (("title", d["assignment"]), ("isolation", "none"), ("files", {}), ("error", ""))}
        x.pop("bonus_score", None)
        x.pop("sides", None)
        grader_error = bool(x.pop("grader_error", False))
        return cls(student=d["student"], assignment=d["assignment"], title=known["title"],
                   tests=[TestResult.from_dict(t) for t in d.get("tests", [])], isolation=known["isolation"],
                   files=known["files"], error=known["error"], duration=d.get("execution_time", 0.0), extra=x,
                   grader_error=grader_error, misnamed=x.pop("misnamed", {}),
                   submitted_at=x.pop("submitted_at", ""), student_id=x.pop("student_id", ""))

