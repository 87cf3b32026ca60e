"""Building the model from a validated spec: ``Spec``, ``Role``, ``Test``, ``Step``, ``Expectation``,
defaults filled in, step lists expanded, what the schema cannot say checked (``checks``). The kinds and
actions (grader.kinds, grader.steps) build their parts through the builder's context."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import yaml

from grader import paths
from grader.kinds import kind_in
from grader.specfile import checks
from grader.spec.errors import SpecError
from grader.spec.expectation_kind import ExpectationKind
from grader.spec.match import MATCHERS, Holds
from grader.spec.network import NetworkProfile
from grader.spec.model import Expectation, Form, Limits, Role, Spec, Step, Test, language_of
from grader.spec.modes import Framing, MatchMode, Player, Transport
from grader.spec.variables import names_used, substitute_only
from grader.spec.yaml_marks import format_path, line_of
from grader.steps import ACTIONS

EXPECTATION_KINDS = tuple(ExpectationKind)
LINE_KINDS = tuple(kind for kind in ExpectationKind if MATCHERS[kind].in_lines)
CLIENT_NAME = re.compile(r"([A-Za-z0-9_-]|\$\{i\})+")      # once a step list's parameters are filled in
FALLBACK_DEFAULTS = {"points": 1, "timeout": 5.0, "startup_timeout": 5.0,
                     "client_timeout": 10.0, "match": MatchMode.TOLERANT}

MAX_STEPS = 100_000     # steps of all tests, once `use:` lists and swarms are expanded
MAX_STEP_TEXT = 16 << 20  # characters those steps send and expect, expanded the same way
MAX_USE_DEPTH = 32      # step lists using step lists using ...
MAX_TESTS = 2000        # tests, each generated conversation counted


def _text_of(exp: Expectation) -> int:
    return sum(len(v) for v in exp.values) + sum(_text_of(item) for item in exp.items)


class _Context:
    """What every builder needs to default values and to point at a line; the kinds and actions
    (grader.kinds, grader.steps) build their parts through it."""

    max_steps = MAX_STEPS

    def __init__(self, source: Path, lines: dict, defaults: dict, step_lists: dict | None = None):
        self.source, self.lines, self.defaults = source, lines, defaults
        self.step_lists = step_lists or {}
        self.roles: dict = {}           # the spec's roles, once built (a test's hint names their forms)
        self.transport = Transport.TCP   # the spec's
        self.networks: dict = {}
        self.steps_built = 0            # steps built so far, and the characters they carry
        self.text = 0
        self._list_steps: dict[str, int] = {}

    def timeout(self, raw: dict) -> float:
        """A test's step timeout: its own, or the spec's default."""
        return raw.get("timeout", self.defaults["timeout"])

    def steps(self, raw: list, path: tuple, timeout: float, spend: bool = True) -> tuple[Step, ...]:
        """Steps in order, each ``use: NAME`` replaced by its list (``spend``: count them now)."""
        return _build_steps(raw, path, timeout, self, spend=spend)

    def expectation(self, raw, path: tuple, allowed=EXPECTATION_KINDS) -> Expectation:
        return _build_expectation(raw, path, self, allowed)

    def check_step(self, step: Step, known: set) -> None:
        checks.check_step(step, known, self)

    def check_uses(self, text, known: set, path: tuple) -> None:
        checks.check_uses(text, known, path, self)

    def check_expectation(self, exp: Expectation, known: set, path: tuple) -> None:
        checks.check_expectation(exp, known, path, self)

    def list_steps(self, name: str, using: tuple = ()) -> int:
        """How many steps `use: NAME` plays, counted without building them (at most MAX_STEPS + 1).
        A loop, a chain too deep or an unknown list counts 0 here: building the steps reports it."""
        if name in self._list_steps:
            return self._list_steps[name]
        if name in using or len(using) > MAX_USE_DEPTH or name not in self.step_lists:
            return 0
        total = 0
        for item in self.step_lists[name]:
            total += self.list_steps(item["use"], using + (name,)) if "use" in item else 1
            if total > MAX_STEPS:
                break
        self._list_steps[name] = min(total, MAX_STEPS + 1)
        return self._list_steps[name]

    def over_budget(self, path: tuple) -> SpecError:
        return self.error(f"the spec has more than {MAX_STEPS} steps once its step lists and swarms "
                          "are expanded", path, "each `use: NAME` plays the whole list again, and "
                          "lists that use lists multiply; a swarm repeats its steps for every client")

    def spend(self, step: Step, path: tuple) -> Step:
        """Count a built step against the spec's budget: `use:` and swarms multiply steps
        (a list using a list using ... ten times over is billions), so they are counted as built."""
        self.steps_built += 1
        self.text += len(step.text or "") + len(step.hex or "") + (_text_of(step.expect) if step.expect else 0)
        if self.steps_built > MAX_STEPS:
            raise self.over_budget(path)
        if self.text > MAX_STEP_TEXT:
            raise self.error(f"the steps of the spec send and expect more than {MAX_STEP_TEXT >> 20} MiB "
                             "of text once its step lists and swarms are expanded", path,
                             "each `use: NAME` plays the whole list again; a swarm repeats its steps "
                             "for every client")
        return step

    def error(self, message: str, path: tuple | str, hint: str = "", line: int | None = None) -> SpecError:
        """An error at ``path`` (a key path, or the ``where`` of a step with its ``line``)."""
        if isinstance(path, str):
            return SpecError(self.source, message, path=path, line=line, hint=hint)
        return SpecError(self.source, message, path=format_path(path),
                         line=line_of(self.lines, path), hint=hint)


def build_spec(data: dict, lines: dict, source: Path) -> Spec:
    ctx = _Context(source, lines, {**FALLBACK_DEFAULTS, **data.get("defaults", {})},
                   data.get("step_lists", {}))
    address = data.get("address", {})
    ctx.transport = Transport(data["transport"])
    roles = {name: _role(name, role, ctx) for name, role in data["roles"].items()}
    ctx.roles = roles
    ctx.networks = data.get("networks", {})
    tests = []
    for i, t in enumerate(data["tests"]):
        test = _build_test(t, ("tests", i), ctx)
        tests += kind_in(t)[0].expand(test)
        if len(tests) > MAX_TESTS:
            raise ctx.error(f"the spec has more than {MAX_TESTS} tests (each generated conversation counts)",
                            ("tests", i), "a spec is a few dozen tests")
    tests = tuple(tests)
    spec = Spec(id=data["id"], title=data.get("title", data["id"]), transport=Transport(data["transport"]),
                host=address.get("host", "127.0.0.1"), port=address.get("port", 9999),
                framing=Framing(data.get("framing", Framing.NONE)), roles=roles, tests=tests,
                source=source, description=data.get("description", ""),
                limits=Limits(**data.get("limits", {})))
    checks.check_spec(spec, ctx)
    return spec


COMMAND_VARIABLES = ("file",)
FORM_KEYS = ("files", "build", "run", "build_timeout")


def _role(name: str, role: dict, ctx: _Context) -> Role:
    """A role with its forms: those under ``forms:``, or the one its own ``files`` (``build``, ``run``) make."""
    path = ("roles", name)
    if "forms" in role:
        both = [k for k in FORM_KEYS if k in role]
        if both:
            raise ctx.error(f"a role with `forms` gives `{both[0]}` in each form, not beside them",
                            path + (both[0],), "move it under the form it belongs to: forms: {c: {files: ..., "
                                               "build: ..., run: ...}}")
        forms = tuple(_form(fname, f, path + ("forms", fname), ctx) for fname, f in role["forms"].items())
    elif "files" in role:
        forms = (_form(_implied_form_name(role), role, path, ctx),)
    else:
        raise ctx.error(f"role {name!r} has neither `files` nor `forms`", path,
                        "give the file names students may hand in: files: [server.py], or forms: "
                        "{python: {files: [server.py]}, c: {files: [server.c], build: [...], run: [...]}}")
    _names_once(forms, path, ctx)
    ref = role.get("reference")
    ref_path = _reference_path(ref, path + ("reference",), ctx) if ref else None
    return Role(name, forms, ref_path, role.get("optional", False), tuple(role.get("args", ())),
                reference_form=_reference_form(forms, ref_path, path, ctx).name)


def _form(name: str, form: dict, path: tuple, ctx: _Context) -> Form:
    files = form["files"]
    return Form(name, tuple([files] if isinstance(files, str) else files), **_role_commands(form, path, ctx))


def _implied_form_name(role: dict) -> str:
    """A role of one form is named for its language: python without `run`, else by its first file's suffix."""
    if "run" not in role:
        return "python"
    files = role["files"]
    first = files if isinstance(files, str) else files[0]
    return language_of(first) or "program"


def _names_once(forms, path: tuple, ctx: _Context) -> None:
    """A file name picks one form: no name may be in two."""
    seen: dict[str, str] = {}
    for form in forms:
        for file_name in form.files:
            other = seen.setdefault(file_name.lower(), form.name)
            if other != form.name:
                raise ctx.error(f"{file_name!r} is a file of the forms {other!r} and {form.name!r}",
                                path + ("forms", form.name, "files"),
                                "the file a student hands in picks the form: give each form its own names")


def _reference_form(forms, reference: Path | None, path: tuple, ctx: _Context) -> Form:
    """The form of the reference program: the one listing its name, else the only one of its language."""
    if reference is None or len(forms) == 1:
        return forms[0]
    named = [f for f in forms if f.takes(reference.name)]
    if named:
        return named[0]
    language = language_of(reference.name)
    fitting = [f for f in forms if f.name == language or language_of(f.files[0]) == language]
    if len(fitting) == 1:
        return fitting[0]
    raise ctx.error(f"the reference program {reference.name!r} is of none of the role's forms "
                    f"({', '.join(f.name for f in forms)})", path + ("reference",),
                    "name it as a form's file (e.g. server.py for the python form), or give it that form's suffix")


def _role_commands(role: dict, path: tuple, ctx: _Context) -> dict:
    """A form's ``build``, ``run`` and ``build_timeout``, checked: a build needs a run, and a command
    uses no variable but ``${file}``."""
    if "build" in role and "run" not in role:
        raise ctx.error("a role with `build` needs `run`: the command that starts what the build made",
                        path + ("build",), "e.g. build: [gcc, -o, server, \"${file}\"] and run: [./server]")
    if "build_timeout" in role and "build" not in role:
        raise ctx.error("`build_timeout` without `build`", path + ("build_timeout",),
                        "it is the time the role's `build` command may take")
    for key in ("build", "run"):
        for i, arg in enumerate(role.get(key, ())):
            if i == 0 and not arg.strip():
                raise ctx.error(f"the program of `{key}` is empty", path + (key, 0),
                                "the first item is the program to run: gcc, javac, ./server, java ...")
            unknown = [n for n in names_used(arg) if n not in COMMAND_VARIABLES]
            if unknown:
                raise ctx.error(f"${{{unknown[0]}}} is not a variable of a command", path + (key, i),
                                "a command may use ${file}: the role's file as found in the submission")
    return {"build": tuple(role.get("build", ())), "run": tuple(role.get("run", ())),
            "build_timeout": float(role.get("build_timeout", Form.build_timeout))}


def reference_folders(source: Path) -> tuple[Path, ...]:
    """Where a spec's reference programs may be: its own folder (and below), a folder `reference`
    beside that folder (the layout of the shipped specs, copied by a course), the shipped reference
    folder. The last part of the sibling is not resolved: a `reference` symlink to elsewhere is refused."""
    own = source.parent.resolve()
    return own, own.parent / "reference", paths.shipped_reference_dir().resolve()


def _reference_path(ref: str, path: tuple, ctx: _Context) -> Path:
    """The reference program, symlinks resolved, if it lies where a reference program may."""
    try:
        ref_path = (ctx.source.parent / ref).resolve()
    except (OSError, RuntimeError, ValueError) as exc:       # a symlink loop, a NUL byte
        raise ctx.error(f"reference program {ref!r} is not a usable path: {exc}", path) from None
    folders = reference_folders(ctx.source)
    if not any(ref_path.is_relative_to(folder) for folder in folders):
        raise ctx.error(f"reference program {ref!r} is outside the folders reference programs may be in "
                        f"(it is {ref_path})", path,
                        f"a reference program lies in the spec's folder ({folders[0]}) or below it, in "
                        f"{folders[1]}, or in the shipped reference folder ({folders[2]})")
    if not ref_path.is_file():
        raise ctx.error(f"reference program {ref!r} does not exist (looked at {ref_path})", path)
    return ref_path


def _build_test(t: dict, path: tuple, ctx: _Context) -> Test:
    kind = kind_in(t)[0]
    params = kind.build(t[kind.key], t, path, ctx)
    tags = t.get("tags", ctx.defaults.get("tags"))
    if not tags:
        raise ctx.error(f"test {t['name']!r} has no tags", path + ("name",),
                        "add `tags: [protocol]` to the test, or `tags:` under `defaults` for every test")
    network = None
    if "network" in t:
        name = t["network"]
        if name not in ctx.networks:
            raise ctx.error(f"no network profile named {name!r}", path + ("network",),
                            "profiles defined under `networks:`: " + (", ".join(ctx.networks) or "none"))
        network = NetworkProfile.from_dict({"name": name, **ctx.networks[name]})
    test = Test(name=t["name"], kind=kind.name, points=t.get("points", ctx.defaults["points"]),
                tags=tuple(tags), bonus=t.get("bonus", False), hidden=t.get("hidden", False),
                description=t.get("description", ""), hint=_hint(t.get("hint", ""), path + ("hint",), ctx),
                server_role=t.get("server_role", "server"), server=Player(t.get("server", Player.STUDENT)),
                startup_timeout=t.get("startup_timeout", ctx.defaults["startup_timeout"]),
                network=network, params=params, line=line_of(ctx.lines, path) or 0)
    student, reference = kind.roles(test)
    return replace(test, roles_used=student, reference_roles=reference, side=kind.side(test, student))


def _hint(value, path: tuple, ctx: _Context) -> str | tuple:
    """A hint for every student, or one per form: ((form, text), ...), each form a form of some role."""
    if isinstance(value, str):
        return value
    forms = {f.name for role in ctx.roles.values() for f in role.forms}
    for name in value:
        if name not in forms:
            raise ctx.error(f"no role has a form named {name!r}", path + (name,),
                            "the spec's forms: " + ", ".join(sorted(forms)))
    return tuple(value.items())


def _build_steps(raw: list, path: tuple, timeout: float, ctx: _Context, using: tuple = (),
                 at: tuple | None = None, spend: bool = True, origin: str = "") -> tuple[Step, ...]:
    """Steps in order, each ``use: NAME`` replaced by the steps of ``step_lists.NAME``, its ``${param}``s
    filled from ``with:`` (``at``: the test's step that brought the list in, where the step budget's
    error points; ``spend``: False leaves the steps uncounted, for a caller that counts its copies)."""
    if not spend:
        counted = ctx.steps_built, ctx.text
        try:
            return _build_steps(raw, path, timeout, ctx, using, at, True, origin)
        finally:
            ctx.steps_built, ctx.text = counted
    steps = []
    for i, s in enumerate(raw):
        if "use" not in s:
            steps.append(ctx.spend(_build_step(s, path + (i,), timeout, ctx, origin), at or path + (i,)))
            continue
        name, here = s["use"], path + (i, "use")
        others = sorted(set(s) - {"use", "with", "client", "timeout"})
        if others:
            raise ctx.error(f"a step with `use` cannot also have {', '.join(others)}", path + (i,),
                            "`use: NAME` stands for the whole list; only `with`, `client` and `timeout` "
                            "may go with it")
        if name not in ctx.step_lists:
            known = ", ".join(sorted(ctx.step_lists)) or "none defined"
            raise ctx.error(f"no step list named {name!r}", here, f"step_lists: {known}")
        if name in using:
            raise ctx.error(f"step list {name!r} uses itself", here, "a step list cannot use itself, even through another")
        if len(using) >= MAX_USE_DEPTH:
            raise ctx.error(f"step lists use one another more than {MAX_USE_DEPTH} deep", here,
                            f"a list may use a list that uses a list ..., up to {MAX_USE_DEPTH} deep")
        if ctx.steps_built + ctx.list_steps(name) > MAX_STEPS:
            raise ctx.over_budget(at or path + (i,))
        params = {key: str(value) for key, value in s.get("with", {}).items()}
        _check_params(name, params, path + (i, "with"), ctx)
        # The `use` step's client and timeout apply to the list's steps that do not say their own.
        inherited = {k: s[k] for k in ("client", "timeout") if k in s}
        items = [_fill(item, params) for item in ctx.step_lists[name]]
        items = [{**inherited, **item} for item in items]
        line = line_of(ctx.lines, path + (i,))
        given = ", ".join(f"{k}={v}" for k, v in params.items())
        here_origin = f"step list `{name}` used at line {line}" + (f" with {given}" if given else "")
        steps += _build_steps(items, ("step_lists", name), s.get("timeout", timeout), ctx, using + (name,),
                              at or path + (i,), origin=origin or here_origin)
    return tuple(steps)


def _fill(value, params: dict[str, str]):
    """A step list's item with each ``${param}`` of ``params`` filled in, in every string it holds;
    other ``${name}``s (values captured while the test runs) and ``$${...}`` stay as written."""
    if isinstance(value, str):
        return substitute_only(value, params)
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    return value


def _check_params(name: str, params: dict, path: tuple, ctx: _Context) -> None:
    """Every parameter given is one the list uses."""
    used = set(names_used(yaml.safe_dump(ctx.step_lists[name])))
    unknown = sorted(set(params) - used)
    if unknown:
        raise ctx.error(f"step list {name!r} has no parameter {unknown[0]!r}", path + (unknown[0],),
                        "its parameters are the ${name}s it uses: " + (", ".join(sorted(used)) or "none"))


def _build_step(s: dict, path: tuple, timeout: float, ctx: _Context, origin: str = "") -> Step:
    actions = [ACTIONS[a] for a in ACTIONS if a in s]
    if len(actions) != 1:
        what = "no action" if not actions else "several actions (" + ", ".join(a.name for a in actions) + ")"
        raise ctx.error(f"a step has {what}", path,
                        f"each step is exactly one of {', '.join(ACTIONS)} (or `use: NAME`)")
    action = actions[0]
    for option in sorted(set(s) - set(action.options) - {action.name, "client", "timeout"}):
        owners = [a.name for a in ACTIONS.values() if option in a.options] or ["use"]
        raise ctx.error(f"`{option}` does not go with `{action.name}`", path + (option,),
                        f"it goes with: {', '.join(owners)}")
    client = s.get("client", "c1")
    if not CLIENT_NAME.fullmatch(client):
        if "${" in client:
            raise ctx.error(f"client name {client!r} has a ${{name}} that nothing fills in", path + ("client",),
                            "a step list's parameters get their values from `with:` where the list is used")
        raise ctx.error(f"client name {client!r} is not a valid client", path + ("client",),
                        "a test-side client's name: letters, digits, - and _ (a swarm's ${i} too)")
    common = dict(client=client, timeout=s.get("timeout", timeout),
                  line=line_of(ctx.lines, path) or 0, where=format_path(path), origin=origin)
    return action.build(s[action.name], s, common, ctx, path)


def _build_expectation(e, path: tuple, ctx: _Context, allowed=EXPECTATION_KINDS) -> Expectation:
    """An expectation as its kind's matcher says its key is written (``Matcher.holds``)."""
    match = ctx.defaults["match"]
    if isinstance(e, str):
        return Expectation(ExpectationKind.EQUALS, (e,), match)
    kinds = [k for k in allowed if k.value in e]
    if len(kinds) != 1:
        what = "no kind" if not kinds else "several kinds (" + ", ".join(kinds) + ")"
        raise ctx.error(f"an expectation has {what}", path, "use exactly one of: " + ", ".join(allowed))
    kind, match = kinds[0], e.get("match", match)
    value, capture, shape = e[kind.value], e.get("capture"), MATCHERS[kind]
    if "any_order" in e and not shape.any_order:
        takers = " or ".join(f"`{k}`" for k in ExpectationKind if MATCHERS[k].any_order)
        raise ctx.error(f"`any_order` only goes with {takers}", path + ("any_order",),
                        "write the reply as `lines: [...]` to accept its lines in any order")
    if capture and not shape.can_capture:
        raise ctx.error(f"`{kind}` has nothing to capture", path + ("capture",))
    if shape.holds is Holds.SECONDS:
        return Expectation(kind, (), match, float(value))
    if shape.holds is Holds.NOTHING:
        return Expectation(kind, (), match, capture=capture)
    if shape.holds is Holds.ITEMS:
        items = tuple(_build_expectation(item, path + (kind.value, i), _Context(
            ctx.source, ctx.lines, {**ctx.defaults, "match": match}), LINE_KINDS)
            for i, item in enumerate(value))
        return Expectation(kind, (), match, capture=capture, items=items, any_order=e.get("any_order", False))
    return Expectation(kind, (value,) if isinstance(value, str) else tuple(value), match, capture=capture)
