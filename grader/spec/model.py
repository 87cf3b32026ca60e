"""Loaded, validated specs as plain dataclasses.

These objects are what the rest of the grader sees; YAML never leaves
``grader.spec``. A test also travels to the worker process as JSON, so every
class here round-trips through ``to_dict`` / ``from_dict``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from grader import match
from grader.spec.variables import substitute
from grader.spec.expectation_kind import ExpectationKind
from grader.spec.network import NetworkProfile

@dataclass(frozen=True)
class Generation:
    """One generated conversation of a test (the loader makes ``count`` of them)."""
    commands: tuple[str, ...]
    index: int = 0            # which conversation, 0-based
    count: int = 1
    seed: int = 1
    length: int = 8           # commands per conversation
    clients: int = 3
    welcome: bool = False     # TCP: every connection first receives one message
    timeout: float = 5.0      # seconds to wait for each reply

    @classmethod
    def from_dict(cls, d: dict) -> "Generation":
        return cls(**{**d, "commands": tuple(d["commands"])})


@dataclass(frozen=True)
class Expectation:
    """What a message (or an output line) must look like.

    kind: equals | one_of | contains | regex | any | closed | silence | reference | lines
    ``reference`` means "what the reference server answers to the same steps";
    the engine replaces it by the recorded answer before a student is graded.
    ``lines`` is a reply of several lines, each matching one of ``items``, in
    order or, with ``any_order``, in any order. ``capture`` names a variable
    that receives the whole message (see ``grader.spec.variables``).
    """
    kind: ExpectationKind
    values: tuple[str, ...] = ()
    match: str = "tolerant"
    seconds: float | None = None
    capture: str | None = None
    items: tuple["Expectation", ...] = ()
    any_order: bool = False

    def __post_init__(self):
        object.__setattr__(self, "kind", ExpectationKind(self.kind))

    @classmethod
    def from_dict(cls, d: dict) -> "Expectation":
        return cls(d["kind"], tuple(d.get("values", ())), d.get("match", "tolerant"), d.get("seconds"),
                   d.get("capture"), tuple(cls.from_dict(i) for i in d.get("items", ())),
                   d.get("any_order", False))


@dataclass(frozen=True)
class Step:
    """One action of a test-side client (the actions of ``grader.steps``: connect, send, expect, close,
    ...) or, in a client's ``interact`` list, of the person at its terminal (prompt, type, eof).

    ``arg`` is the action's own parameter when it has one (a pause's seconds, how a close closes);
    ``skip`` the pattern of messages an expect may pass over; ``line`` and ``where`` the step as the
    spec wrote it (the entry of a step list it came from, once ``use:`` is expanded).
    """
    action: str
    client: str = "c1"
    text: str | None = None
    hex: str | None = None
    expect: Expectation | None = None
    timeout: float = 5.0
    line: int = 0
    where: str = ""                   # its key path in the spec file, for error messages
    arg: float | str | None = None
    skip: str | None = None
    origin: str = ""                  # "step list `join` used at line 40 with nick=bob", for a list's step

    def payload(self, framing: str, values: dict[str, str] | None = None) -> bytes:
        """The bytes to send, with ``${name}`` replaced from ``values``."""
        text = substitute(self.text or "", values or {})
        data = bytes.fromhex(self.hex) if self.hex is not None else text.encode("utf-8")
        return data + b"\n" if framing == "newline" else data

    @classmethod
    def from_dict(cls, d: dict) -> "Step":
        exp = d.get("expect")
        return cls(**{**d, "expect": Expectation.from_dict(exp) if exp else None})


@dataclass(frozen=True)
class ClientRun:
    """Run a client program against a server and check the wire and its output."""
    role: str = "client"
    program: str = "student"          # student | reference
    server: str = "reference"         # the server it talks to: reference | student
    argv: tuple[str, ...] = ()
    stdin: str | None = None
    before: tuple[Step, ...] = ()     # steps played against the server first
    interact: tuple[Step, ...] = ()   # prompt / type / eof steps on a terminal (pexpect)
    sent: tuple[Expectation, ...] = ()
    output: tuple[Expectation, ...] = ()
    exits: bool = True
    timeout: float = 10.0

    @classmethod
    def from_dict(cls, d: dict) -> "ClientRun":
        return cls(**{
            **d,
            "argv": tuple(d.get("argv", ())),
            "before": tuple(Step.from_dict(s) for s in d.get("before", ())),
            "interact": tuple(Step.from_dict(s) for s in d.get("interact", ())),
            "sent": tuple(Expectation.from_dict(e) for e in d.get("sent", ())),
            "output": tuple(Expectation.from_dict(e) for e in d.get("output", ())),
        })


@dataclass(frozen=True)
class Swarm:
    """Many clients at once: each runs its own copy of the steps, then one checker runs ``then``.

    ``at_once``: how many clients the server must serve at the same time (0: all of them). A client
    counts as served at its *measured reply* (``measured_reply``): it waits there, connection open,
    until enough clients are served together or the others have failed (``grader.runner.swarm``).
    """
    per_client: tuple[tuple[Step, ...], ...]
    then: tuple[Step, ...] = ()
    at_once: int = 0
    # Which reply marks a client served (1 = the first step that awaits one): the last reply it awaits
    # before its connection ends; None when there is none, and the swarm cannot tell who was served.
    measured_reply: int | None = None

    @property
    def needed(self) -> int:
        """How many clients must be served at the same time."""
        return self.at_once or len(self.per_client)

    @classmethod
    def from_dict(cls, d: dict) -> "Swarm":
        return cls(tuple(tuple(Step.from_dict(s) for s in steps) for steps in d["per_client"]),
                   tuple(Step.from_dict(s) for s in d.get("then", ())), d.get("at_once", 0),
                   d.get("measured_reply"))


PAIR = "pair"


@dataclass(frozen=True)
class Test:
    """One test of a spec, as its kind (``grader.kinds``, named by ``kind``) built it: the fields of
    the other kinds stay empty. It travels to the worker as JSON (``to_dict``/``from_dict``)."""
    name: str
    kind: str                          # startup | conversation | client | generated | swarm
    points: float = 1.0
    tags: tuple[str, ...] = ()
    bonus: bool = False
    hidden: bool = False
    description: str = ""
    hint: str = ""
    server_role: str = "server"
    server: str = "student"            # which server a conversation talks to
    steps: tuple[Step, ...] = ()
    client: ClientRun | None = None
    startup_timeout: float = 5.0
    network: NetworkProfile | None = None
    generate: Generation | None = None
    swarm: Swarm | None = None
    line: int = 0
    # Filled in by the test's kind (grader.kinds) when the spec is loaded:
    roles_used: tuple[str, ...] = ()          # the student roles it runs, which must be handed in
    reference_roles: tuple[str, ...] = ()     # the roles whose reference program it runs
    side: str = "server"                      # whose work it judges: server, client or pair

    @property
    def is_pairing(self) -> bool:
        """The student's client against the student's server."""
        return self.side == PAIR

    def needs_reference_answers(self) -> bool:
        steps = self.steps + (self.client.before if self.client else ())
        return any(s.expect and match.matcher(s.expect).from_reference for s in steps)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Test":
        return cls(**{
            **d,
            "tags": tuple(d.get("tags", ())),
            "roles_used": tuple(d.get("roles_used", ())),
            "reference_roles": tuple(d.get("reference_roles", ())),
            "steps": tuple(Step.from_dict(s) for s in d.get("steps", ())),
            "client": ClientRun.from_dict(d["client"]) if d.get("client") else None,
            "network": NetworkProfile.from_dict(d["network"]) if d.get("network") else None,
            "generate": Generation.from_dict(d["generate"]) if d.get("generate") else None,
            "swarm": Swarm.from_dict(d["swarm"]) if d.get("swarm") else None,
        })

    def with_answers(self, answers: dict[int, str]) -> "Test":
        """This test with each ``reference`` expectation (by step index) made literal."""
        steps = tuple(
            replace(s, expect=replace(s.expect, values=(answers[i],)))
            if i in answers else s
            for i, s in enumerate(self.steps)
        )
        return replace(self, steps=steps)


@dataclass(frozen=True)
class Limits:
    """What a test's student programs may use (the spec's ``limits:``; these are the defaults).

    Sized for beginners' programs: a threaded server with a few dozen threads
    fits easily. The runner applies them (``grader.runner.limits``) and names
    the one a program ran into.
    """
    cpu_seconds: int = 10               # CPU time of each program
    memory_mib: int = 256               # memory of the test's programs together, shared memory included
    processes: int = 64                 # processes and threads of the test, counted together
    file_size_mib: int = 16             # the largest file a program may write
    disk_mib: int = 64                  # all the files the test's programs write, in their folder
    files: int = 2000                   # files and folders in it
    open_files: int = 256
    submission_seconds: float = 300.0   # the total time of a submission's tests for this spec

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Limits":
        return cls(**d)


@dataclass(frozen=True)
class Role:
    """A program of the assignment. ``run`` empty: a Python program, run as ``python -u FILE``; else
    ``build`` (optional) then ``run``, with ``${file}`` the role's file (``grader.runner.build``)."""
    name: str
    files: tuple[str, ...]
    reference: Path | None = None
    optional: bool = False
    args: tuple[str, ...] = ()
    build: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    build_timeout: float = 60.0
    python_students: bool = False     # `grade check`: a saboteur (a Python program) plays the students' side

    def commands(self, students: bool) -> dict | None:
        """How the worker builds and runs this role's program (students' or reference), None for Python."""
        if not self.run or (students and self.python_students):
            return None
        return {"build": list(self.build), "run": list(self.run), "build_timeout": self.build_timeout}


@dataclass(frozen=True)
class Spec:
    id: str
    title: str
    transport: str                     # tcp | udp
    host: str
    port: int
    framing: str                       # none | newline
    roles: dict[str, Role]
    tests: tuple[Test, ...]
    source: Path
    description: str = ""
    limits: Limits = Limits()
    extra: dict = field(default_factory=dict)

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests if not t.bonus)

    def with_seed(self, seed: int) -> "Spec":
        """This spec with every generated conversation drawn from ``seed``."""
        return replace(self, tests=tuple(
            replace(t, generate=replace(t.generate, seed=seed)) if t.generate else t for t in self.tests))
