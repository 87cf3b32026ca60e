"""Loaded, validated specs as plain dataclasses.

These objects are what the rest of the grader sees; YAML never leaves
``grader.spec``. A test also travels to the worker process as JSON, so every
class here round-trips through ``to_dict`` / ``from_dict``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from grader.spec.variables import substitute
from grader.spec.expectation_kind import ExpectationKind
from grader.spec.modes import Framing, MatchMode, Player, Side, Transport
from grader.spec.network import NetworkProfile

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
    match: MatchMode = MatchMode.TOLERANT
    seconds: float | None = None
    capture: str | None = None
    items: tuple["Expectation", ...] = ()
    any_order: bool = False

    def __post_init__(self):
        object.__setattr__(self, "kind", ExpectationKind(self.kind))
        object.__setattr__(self, "match", MatchMode(self.match))

    @classmethod
    def from_dict(cls, d: dict) -> "Expectation":
        return cls(d["kind"], tuple(d.get("values", ())), d.get("match", MatchMode.TOLERANT), d.get("seconds"),
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

    def payload(self, framing: Framing, values: dict[str, str] | None = None) -> bytes:
        """The bytes to send, with ``${name}`` replaced from ``values``."""
        text = substitute(self.text or "", values or {})
        data = bytes.fromhex(self.hex) if self.hex is not None else text.encode("utf-8")
        return data + b"\n" if framing == Framing.NEWLINE else data

    @classmethod
    def from_dict(cls, d: dict) -> "Step":
        exp = d.get("expect")
        return cls(**{**d, "expect": Expectation.from_dict(exp) if exp else None})


@dataclass(frozen=True)
class KindParams:
    """A test's own parameters, as its kind (``grader.kinds``) defines them: each kind with any has a
    frozen dataclass of this class, with its ``from_dict``; a kind with none uses this one.

    What the rest of the grader asks of any test's parameters has its default here.
    """
    seed = None     # what its random draws start from, for a test drawn at random (``--seed`` changes it)

    def with_seed(self, seed: int) -> "KindParams":
        return self

    def needs_reference_answers(self) -> bool:
        """Whether it expects answers of the reference server, recorded before a student is graded."""
        return False

    def with_answers(self, answers: dict[int, str]) -> "KindParams":
        """These parameters with the reference's recorded answers (by step index) made literal."""
        return self

    def step_runs(self) -> tuple[tuple["Step", ...], ...]:
        """The runs of steps test-side clients play, each run in order (its clients' connections its
        own): what ``grade check`` reads for sends that TCP may join."""
        return ()

    @classmethod
    def from_dict(cls, d: dict) -> "KindParams":
        return cls(**d)


@dataclass(frozen=True)
class Test:
    """One test of a spec, as its kind (``grader.kinds``, named by ``kind``) built it, with the kind's
    own parameters in ``params``. It travels to the worker as JSON (``to_dict``/``from_dict``)."""
    name: str
    kind: str                          # its kind's name (grader.kinds: startup, conversation, ...)
    points: float = 1.0
    tags: tuple[str, ...] = ()
    bonus: bool = False
    hidden: bool = False
    description: str = ""
    hint: str | tuple[tuple[str, str], ...] = ""     # for every student, or (form, text) per form
    server_role: str = "server"
    server: Player = Player.STUDENT    # which server a conversation talks to
    startup_timeout: float = 5.0
    network: NetworkProfile | None = None
    params: KindParams = KindParams()         # its kind's own, as the kind's dataclass
    line: int = 0
    # Filled in by the test's kind (grader.kinds) when the spec is loaded:
    roles_used: tuple[str, ...] = ()          # the student roles it runs, which must be handed in
    reference_roles: tuple[str, ...] = ()     # the roles whose reference program it runs
    side: Side = Side.SERVER                  # whose work it judges

    @property
    def is_pairing(self) -> bool:
        """The student's client against the student's server."""
        return self.side == Side.PAIR

    def needs_reference_answers(self) -> bool:
        return self.params.needs_reference_answers()

    def hint_for(self, forms: dict[str, str]) -> str:
        """The hint a student whose roles are in ``forms`` (role -> form name) reads: the one of the form
        of the first role the test runs that has one."""
        if isinstance(self.hint, str):
            return self.hint
        by_form = dict(self.hint)
        return next((by_form[forms[r]] for r in self.roles_used if forms.get(r) in by_form), "")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict, params: type[KindParams]) -> "Test":
        """A test as ``to_dict`` wrote it; ``params``: its kind's dataclass (``grader.kinds.test_from_dict``
        finds it)."""
        return cls(**{
            **d,
            "tags": tuple(d.get("tags", ())),
            "hint": d.get("hint", "") if isinstance(d.get("hint", ""), str) else tuple(map(tuple, d["hint"])),
            "roles_used": tuple(d.get("roles_used", ())),
            "reference_roles": tuple(d.get("reference_roles", ())),
            "network": NetworkProfile.from_dict(d["network"]) if d.get("network") else None,
            "params": params.from_dict(d["params"]),
        })

    def with_answers(self, answers: dict[int, str]) -> "Test":
        """This test with each ``reference`` expectation (by step index) made literal."""
        return replace(self, params=self.params.with_answers(answers))


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


SUFFIX_LANGUAGES = {".py": "python", ".c": "c", ".h": "c", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp",
                    ".java": "java", ".js": "javascript", ".go": "go", ".rs": "rust"}
LANGUAGE_NAMES = {"python": "Python", "c": "C", "cpp": "C++", "java": "Java", "javascript": "JavaScript",
                  "js": "JavaScript", "node": "JavaScript", "go": "Go", "rust": "Rust"}


def language_of(file_name: str) -> str:
    """The language a file's suffix says it is written in ("c" for kvserver.c), "" for one it does not say."""
    suffix = Path(file_name).suffix.lower()
    return SUFFIX_LANGUAGES.get(suffix, "")


def language_name(form_name: str) -> str:
    """A form's language for people: Python, C, Java ... (a name the grader does not know, as written)."""
    return LANGUAGE_NAMES.get(form_name.lower(), form_name)


@dataclass(frozen=True)
class Form:
    """One way a student may hand a role in: its file names and, for a language other than Python, how
    it is built and run. ``run`` empty: a Python program, run as ``python -u FILE``; else ``build``
    (optional) then ``run``, with ``${file}`` the role's file (``grader.job.build``)."""
    name: str                          # what outputs call it: python, c, java ...
    files: tuple[str, ...]
    build: tuple[str, ...] = ()
    run: tuple[str, ...] = ()
    build_timeout: float = 60.0

    @property
    def python(self) -> bool:
        return not self.run

    @property
    def language(self) -> str:
        """Its name for people: Python, C, Java ... (a name the grader does not know, as the spec wrote it)."""
        return language_name(self.name)

    def takes(self, file_name: str) -> bool:
        return file_name.lower() in {f.lower() for f in self.files}

    def commands(self) -> dict | None:
        """How the worker builds and runs a program of this form, None for Python."""
        if self.python:
            return None
        return {"build": list(self.build), "run": list(self.run), "build_timeout": self.build_timeout}


@dataclass(frozen=True)
class Role:
    """A program of the assignment, in one of its ``forms`` (the file a student handed in picks it);
    one set of tests and one reference program serve every form. ``reference_form`` names the
    reference program's form."""
    name: str
    forms: tuple[Form, ...]
    reference: Path | None = None
    optional: bool = False
    args: tuple[str, ...] = ()
    reference_form: str = ""
    python_students: bool = False     # `grade check`: a saboteur (a Python program) plays the students' side

    @property
    def files(self) -> tuple[str, ...]:
        """Every name a student may use for it, form by form."""
        return tuple(name for form in self.forms for name in form.files)

    @property
    def python_form(self) -> Form | None:
        return next((f for f in self.forms if f.python), None)

    @property
    def languages(self) -> str:
        """"Python", "Python or C": what the role may be written in, for people."""
        names = list(dict.fromkeys(f.language for f in self.forms))
        return " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)

    @property
    def build_timeout(self) -> float:
        """The longest a build of one of its forms may take (0: no form is built)."""
        return max((f.build_timeout for f in self.forms if f.build), default=0.0)

    def form_of(self, file_name: str | None) -> Form:
        """The form a file handed in for this role is of: the one that lists its name; a file found under
        another name (``grader.input.discover.misnamed``) is a Python program."""
        if file_name:
            name = file_name.replace("\\", "/").rsplit("/", 1)[-1]
            for form in self.forms:
                if form.takes(name):
                    return form
        return self.python_form or self.forms[0]

    def reference_of(self) -> Form:
        return next((f for f in self.forms if f.name == self.reference_form), self.forms[0])

    def commands(self, students: bool, file_name: str | None = None) -> dict | None:
        """How the worker builds and runs this role's program: a student's (of the form ``file_name``
        is, a Python program when a saboteur plays it) or the reference's. None for Python."""
        if students:
            return None if self.python_students else self.form_of(file_name).commands()
        return self.reference_of().commands()


@dataclass(frozen=True)
class Spec:
    id: str
    title: str
    transport: Transport
    host: str
    port: int
    framing: Framing
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
        return replace(self, tests=tuple(replace(t, params=t.params.with_seed(seed)) for t in self.tests))
