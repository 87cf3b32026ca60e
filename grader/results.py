"""Results as plain data: a test result, an assignment result per student.

Every reporter reads these objects (or their ``to_dict`` form); nothing here
runs or formats anything beyond the Gradescope-shaped dictionary.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import Enum

from grader.spec.model import language_name
from grader.spec.modes import Side


class Status(Enum):
    """What became of one test, or of one submission for one assignment.

    A test (``TestResult.status``) is PASSED; FAILED, the student's program did
    not do what it checks; NOT_HANDED_IN, it needs a file the student did not
    hand in; NOT_RUN, the submission's tests had used up the time they may take
    (``limits.submission_seconds``); or GRADING_FAILED, the grader or the
    machine failed, not the student: never a grade, never kept in the cache.

    A submission (``AssignmentResult.status``) is GRADED, its tests say the
    rest; NOT_HANDED_IN, every test needs a file not handed in; NOT_GRADED, it
    could not be graded for a reason of its own (a damaged zip, none of the
    specs' files); or GRADING_FAILED.

    A plain Enum, not a str one: a status never equals its text, so nothing can
    compare it with one by mistake. ``value`` is what JSON and the cache hold.
    """
    PASSED = "passed"
    FAILED = "failed"
    NOT_HANDED_IN = "not_handed_in"
    NOT_RUN = "not_run"
    GRADING_FAILED = "grading_failed"
    GRADED = "graded"
    NOT_GRADED = "not_graded"

    @classmethod
    def verdict(cls, passed: bool) -> "Status":
        return cls.PASSED if passed else cls.FAILED


class Cause(Enum):
    """Why a test failed, as data (``Why.kind``): set where the runner words the reason, which is for
    people; no code reads a cause back from the words. ``value`` is what JSON and the cache hold.
    The comment of each says which of ``Why``'s fields it fills."""
    NOT_HANDED_IN = "not_handed_in"      # detail: the file names the test needed
    NOT_RUN = "not_run"                  # the submission's tests had used up their time
    BUILD_FAILED = "build_failed"        # role, code (None: out of time), limit and value (if it ran into
    #                                      one); detail: the compiler's first words
    DID_NOT_BIND = "did_not_bind"        # role, transport, port: it bound nothing in time
    EXITED_EARLY = "exited_early"        # role, code: it ended before binding a port, no Python exception
    WRONG_TRANSPORT = "wrong_transport"  # role, transport (the one needed); detail: the sockets it has
    WRONG_PORT = "wrong_port"            # role, transport, port (the one it bound)
    WRONG_ADDRESS = "wrong_address"      # role; detail: the host it bound, which 127.0.0.1 cannot reach
    CRASHED = "crashed"                  # role; detail: the Python exception and where it was raised
    LIMIT = "limit"                      # role, limit (a field of the spec's limits), value (its value)
    KILLED = "killed"                    # role: a SIGKILL from outside the test's limits
    EXITED = "exited"                    # role, code: it ended during the test, no exception, no limit
    DID_NOT_EXIT = "did_not_exit"        # role: a client still running when it should have exited
    CONNECT_FAILED = "connect_failed"    # a test-side client could not connect
    SEND_FAILED = "send_failed"          # ... could not send
    NO_REPLY = "no_reply"                # ... got nothing: in time, or before the connection ended
    WRONG_REPLY = "wrong_reply"          # ... got a message other than the one expected
    NOT_CLOSED = "not_closed"            # ... expected the server to close the connection
    WRONG_OUTPUT = "wrong_output"        # role: a client program did not print what was expected
    WRONG_REQUEST = "wrong_request"      # role: a client program did not send what was expected
    TOO_FEW_AT_ONCE = "too_few_at_once"  # a swarm's server served fewer clients at once than needed
    BUSY_WAITING = "busy_waiting"        # role: it used the CPU with no client to serve (an idle test)


@dataclass(frozen=True)
class Why:
    """A cause and its key values: two tests that failed alike have equal ones (``reporting.causes``)."""
    kind: Cause
    role: str = ""              # the spec's role whose program it was (server, client, ...)
    transport: str = ""
    port: int | None = None
    limit: str = ""             # LIMIT, BUILD_FAILED: the limit run into (cpu_seconds, memory_mib, ...)
    value: int | None = None    # ... and its value
    code: int | None = None     # the program's exit code
    detail: str = ""            # the words that tell two of a kind apart (see each Cause)

    def to_dict(self) -> dict:
        """``kind`` and the fields it fills."""
        return {"kind": self.kind.value, **{f.name: getattr(self, f.name) for f in fields(self)[1:]
                                            if getattr(self, f.name) != f.default}}

    @classmethod
    def from_dict(cls, d: dict) -> "Why":
        return cls(**{**d, "kind": Cause(d["kind"])})


TEST_STATUSES = frozenset({Status.PASSED, Status.FAILED, Status.NOT_HANDED_IN, Status.NOT_RUN,
                           Status.GRADING_FAILED})
ASSIGNMENT_STATUSES = frozenset({Status.GRADED, Status.NOT_HANDED_IN, Status.NOT_GRADED, Status.GRADING_FAILED})
UNGRADED = frozenset({Status.NOT_GRADED, Status.GRADING_FAILED})      # a submission without a mark


def _checked(status, allowed: frozenset, what: str) -> None:
    if status not in allowed:
        raise ValueError(f"{status!r} is no status of {what} (one of {sorted(s.value for s in allowed)})")


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


@dataclass(frozen=True)
class Difference:
    """Where a conversation first parted from what the spec or the reference says, as data: a picture
    marks it (``grader.reporting.pictures``). ``after``: how many of ``client``'s own transcript entries
    came before it; ``got`` None: nothing came, and ``waited`` says how long the grader waited for it
    (None: the wait ended sooner, ``ended`` says how: the server closed the connection, exited, ...)."""
    client: str
    after: int
    expected: str                # in words, as the reason says it
    got: str | None = None
    waited: float | None = None
    ended: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Difference":
        return cls(**d)


@dataclass
class ReferenceRun:
    """The same test played by the reference programs alone (the engine runs it once per class): what a
    picture draws beside the student's, at the same scale."""
    transcript: list[dict] = field(default_factory=list)
    metrics: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"transcript": self.transcript, "metrics": self.metrics}

    @classmethod
    def from_dict(cls, d: dict) -> "ReferenceRun":
        return cls(list(d.get("transcript", [])), dict(d.get("metrics", {})))


# Transcript names the runner uses itself; a spec's clients are named by the spec (no spaces).
RUNNER_NAMES = frozenset({"server", "relay", "client", "client program"})


def clients_of(entries: list[dict]) -> list[str]:
    """The test-side clients of a transcript (c1, a, b, s1..s20, ...), in the order they first appear."""
    return list(dict.fromkeys(e.get("who", "") for e in entries if e.get("who", "") not in RUNNER_NAMES))


def render(entries: list[dict]) -> str:
    """A test's transcript as lines of text."""
    return "\n".join(Entry(**e).line() for e in entries)


LONGEST_WAIT = "longest_wait_s"      # a metric (a UDP swarm's): seconds, which differ from run to run
TIMED_METRICS = (LONGEST_WAIT,)


@dataclass
class TestResult:
    """One test of one submission, scored: what every reporter shows of it.

    ``status`` is the truth about what happened (see ``Status``); ``passed``
    is derived from it. ``reason`` is the one line people read (the same words
    whatever the status: "X was not handed in", "grading failed: ..."), and no
    code reads a status or a cause back from it: ``cause`` says why it failed as
    data (a grading failure has none). ``missing`` names the files a test that
    was NOT_HANDED_IN needed ("a.py or b.py"). ``to_dict`` is one entry of
    Gradescope's ``tests`` list, whose ``status`` knows only passed and failed;
    the status itself is ``extra_data.status``, which ``from_dict`` reads.
    """
    name: str
    tags: list[str]
    points: float                 # earned
    max_points: float
    status: Status
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
    side: Side = Side.SERVER                       # whose work it judges
    missing: str = ""                              # NOT_HANDED_IN: the file names it needed
    cause: Why | None = None                       # why it failed, as data (None: it did not fail)
    difference: Difference | None = None           # where its conversation first went wrong, if known
    reference: ReferenceRun | None = None          # a failed test of several clients: the reference's run
    parted: bool = False      # a failed pair test whose conversation parts from the reference pair's

    def __post_init__(self):
        _checked(self.status, TEST_STATUSES, "a test")

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @property
    def grading_failed(self) -> bool:
        """The grader or the machine failed here, not the student."""
        return self.status is Status.GRADING_FAILED

    @property
    def gradescope_status(self) -> str:
        """Gradescope's word for it: a test it shows is passed or failed, nothing else."""
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
            "max_score": 0.0 if self.bonus else self.max_points,
            "status": self.gradescope_status,
            "output": self.output_text(),
            "tags": list(self.tags),
            "visibility": "after_published" if self.hidden else "visible",
            "extra_data": {
                "reason": self.reason, "notes": self.notes, "hint": self.hint,
                "bonus": self.bonus, "hidden": self.hidden, "points": self.max_points,
                "duration": self.duration, "transcript": self.transcript,
                "server_output": self.server_output, "client_output": self.client_output,
                "description": self.description, "metrics": self.metrics, "side": self.side,
                "status": self.status.value, **({"missing": self.missing} if self.missing else {}),
                **({"cause": self.cause.to_dict()} if self.cause else {}),
                **({"difference": self.difference.to_dict()} if self.difference else {}),
                **({"reference": self.reference.to_dict()} if self.reference else {}),
                **({"parted": True} if self.parted else {}),
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> "TestResult":
        x = d.get("extra_data", {})
        return cls(name=d["name"], tags=list(d.get("tags", [])), points=float(d["score"]),
                   max_points=float(x.get("points", d["max_score"])), status=Status(x["status"]),
                   bonus=x.get("bonus", False), hidden=x.get("hidden", False), reason=x.get("reason", ""),
                   notes=x.get("notes", []), hint=x.get("hint", ""), transcript=x.get("transcript", []),
                   server_output=x.get("server_output", ""), client_output=x.get("client_output", ""),
                   duration=x.get("duration", 0.0), description=x.get("description", ""),
                   metrics=x.get("metrics", {}), side=x.get("side", Side.SERVER), missing=x.get("missing", ""),
                   cause=Why.from_dict(x["cause"]) if x.get("cause") else None,
                   difference=Difference.from_dict(x["difference"]) if x.get("difference") else None,
                   reference=ReferenceRun.from_dict(x["reference"]) if x.get("reference") else None,
                   parted=x.get("parted", False))


def _tail(text: str, lines: int = 30) -> str:
    kept = text.rstrip().splitlines()
    more = len(kept) - lines
    return "\n".join(([f"[... {more} earlier lines]"] if more > 0 else []) + kept[-lines:])


def status_of(tests: list[TestResult]) -> Status:
    """A graded submission's status from its tests: NOT_HANDED_IN when every test needed a file not handed in."""
    if tests and all(t.status is Status.NOT_HANDED_IN for t in tests):
        return Status.NOT_HANDED_IN
    return Status.GRADED


@dataclass
class AssignmentResult:
    """One submission graded against one assignment (or why it could not be: ``status`` and ``error``)."""
    student: str
    assignment: str
    title: str
    tests: list[TestResult]
    isolation: str = "none"
    files: dict[str, str] = field(default_factory=dict)
    error: str = ""               # NOT_GRADED or GRADING_FAILED: why, in words
    duration: float = 0.0
    extra: dict = field(default_factory=dict)
    status: Status = Status.GRADED
    misnamed: dict[str, str] = field(default_factory=dict)   # role -> the file graded for it under another name
    forms: dict[str, str] = field(default_factory=dict)      # role -> the form of the file handed in (python, c ...)
    left_out: list[str] = field(default_factory=list)        # links of the submission not graded, and why
    submitted_at: str = ""        # ISO 8601, when the submission was handed in, where known
    student_id: str = ""          # the LMS's id for the student (Moodle's participant, Canvas's user), where known

    def __post_init__(self):
        _checked(self.status, ASSIGNMENT_STATUSES, "a submission")
        if bool(self.error) != self.ungraded:
            raise ValueError(f"a submission says in error why it has no mark, and only then: status "
                             f"{self.status.value}, error {self.error!r}")

    @property
    def ungraded(self) -> bool:
        """No mark at all: the submission could not be graded, or the grader failed on it as a whole."""
        return self.status in UNGRADED

    @property
    def infrastructure_failed(self) -> bool:
        """The grader or the machine failed (a crash, an interrupted test, a port taken): not a grade."""
        return self.status is Status.GRADING_FAILED or any(t.grading_failed for t in self.tests)

    @property
    def score(self) -> float:
        return float(round(sum(t.points for t in self.tests), 4))

    @property
    def max_score(self) -> float:
        return float(round(sum(t.max_points for t in self.tests if not t.bonus), 4))

    @property
    def sides(self) -> dict[str, list[float]]:
        """Score and maximum of the server's tests, the client's, and the pair's, apart."""
        sides: dict[str, list[float]] = {}
        for t in self.tests:
            score = sides.setdefault(t.side, [0.0, 0.0])
            score[0] += t.points
            score[1] += 0 if t.bonus else t.max_points
        return {side: [float(round(a, 4)), float(round(b, 4))] for side, (a, b) in sorted(sides.items())}

    @property
    def form_words(self) -> str:
        """"server in C": the form of each role of several forms the student handed in ("" for none)."""
        return ", ".join(f"{role} in {language_name(form)}" for role, form in sorted(self.forms.items()))

    @property
    def bonus_score(self) -> float:
        return float(round(sum(t.points for t in self.tests if t.bonus), 4))

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
                           "status": self.status.value,
                           **({"misnamed": self.misnamed} if self.misnamed else {}),
                           **({"forms": self.forms} if self.forms else {}),
                           **({"left_out": self.left_out} if self.left_out else {}),
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
        status = Status(x.pop("status"))
        return cls(student=d["student"], assignment=d["assignment"], title=known["title"],
                   tests=[TestResult.from_dict(t) for t in d.get("tests", [])], isolation=known["isolation"],
                   files=known["files"], error=known["error"], duration=d.get("execution_time", 0.0), extra=x,
                   status=status, misnamed=x.pop("misnamed", {}), forms=x.pop("forms", {}), left_out=x.pop("left_out", []),
                   submitted_at=x.pop("submitted_at", ""), student_id=x.pop("student_id", ""))

