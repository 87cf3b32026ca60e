"""Read a spec file: YAML with line marks -> schema validation -> model objects."""
from __future__ import annotations

import difflib
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from grader.spec.errors import SpecError
from grader.generate import Generation
from grader.net.shaping import NetworkProfile
from grader.spec.checks import check_spec
from grader.spec.model import ClientRun, Expectation, Limits, Role, Spec, Step, Swarm, Test
from grader.spec.yaml_marks import format_path, line_of, load_with_lines

EXPECTATION_KINDS = ("equals", "one_of", "contains", "regex", "any", "closed", "silence", "reference")
FALLBACK_DEFAULTS = {"points": 1, "timeout": 5.0, "startup_timeout": 5.0,
                     "client_timeout": 10.0, "match": "tolerant"}


@lru_cache(maxsize=1)
def schema() -> dict:
    text = resources.files("grader.spec").joinpath("schema.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def load_spec(path: str | Path) -> Spec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(path, f"cannot read the spec: {exc}") from None
    data, lines = load_with_lines(text, path)
    validate(data, lines, path)
    return _build(data, lines, path)


def validate(data, lines: dict, source) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(data))
    if errors:
        error = _most_useful(errors)
        message, hint, path = _explain(error)
        raise SpecError(source, message, path=format_path(path), line=line_of(lines, path), hint=hint)


def _most_useful(errors):
    """The deepest error is usually the one that names the offending key."""
    def depth(e):
        return len(list(e.absolute_path))
    best = jsonschema.exceptions.best_match(errors, key=lambda e: (depth(e), -len(e.context)))
    return best


def _explain(error) -> tuple[str, str, list]:
    path = list(error.absolute_path)
    schema_ = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(schema_.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        key = unknown[0] if unknown else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else (f"allowed keys: {', '.join(allowed)}" if allowed else "")
        return f"unknown key '{key}'", hint, path + [key]
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing"), "", path
    if error.validator == "oneOf" and _is_expectation(error):
        return (f"{_short(error.instance)} is not a valid expectation",
                "`expect` must be a string or a mapping with one of: " + ", ".join(EXPECTATION_KINDS), path)
    if error.validator == "oneOf" and isinstance(error.instance, dict) and "name" in error.instance:
        kinds = [k for k in ("startup", "steps", "client") if k in error.instance]
        what = "none of" if not kinds else "more than one of"
        return (f"test {error.instance.get('name')!r} has {what} startup, steps, client",
                "a test is exactly one of: `startup: true`, a list of `steps`, or a `client` run", path)
    if error.validator == "enum":
        return f"{_short(error.instance)} is not one of {', '.join(map(str, error.validator_value))}", "", path
    if error.validator == "type":
        return f"{_short(error.instance)} should be of type {error.validator_value}", "", path
    return error.message, "", path


def _is_expectation(error) -> bool:
    return error.schema.get("description", "").startswith("a string, or a mapping with one of")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Context:
    """What every builder needs to default values and to point at a line."""

    def __init__(self, source: Path, lines: dict, defaults: dict):
        self.source, self.lines, self.defaults = source, lines, defaults
        self.networks: dict = {}

    def error(self, message: str, path: tuple, hint: str = "") -> SpecError:
        return SpecError(self.source, message, path=format_path(path),
                         line=line_of(self.lines, path), hint=hint)


def _build(data: dict, lines: dict, source: Path) -> Spec:
    ctx = _Context(source, lines, {**FALLBACK_DEFAULTS, **data.get("defaults", {})})
    address = data.get("address", {})
    roles = {}
    for name, role in data["roles"].items():
        files = role["files"]
        ref = role.get("reference")
        ref_path = (source.parent / ref).resolve() if ref else None
        if ref_path and not ref_path.is_file():
            raise ctx.error(f"reference program {ref!r} does not exist (looked at {ref_path})",
                            ("roles", name, "reference"))
        roles[name] = Role(name, tuple([files] if isinstance(files, str) else files),
                           ref_path, role.get("optional", False), tuple(role.get("args", ())))
    ctx.networks = data.get("networks", {})
    tests = tuple(test for i, t in enumerate(data["tests"]) for test in _expand(_build_test(t, ("tests", i), ctx)))
    spec = Spec(id=data["id"], title=data.get("title", data["id"]), transport=data["transport"],
                host=address.get("host", "127.0.0.1"), port=address.get("port", 9999),
                framing=data.get("framing", "none"), roles=roles, tests=tests,
                source=source, description=data.get("description", ""),
                limits=Limits(**data.get("limits", {})))
    check_spec(spec, ctx)
    return spec


def _build_test(t: dict, path: tuple, ctx: _Context) -> Test:
    timeout = t.get("timeout", ctx.defaults["timeout"])
    steps = tuple(_build_step(s, path + ("steps", i), timeout, ctx)
                  for i, s in enumerate(t.get("steps", ())))
    client = None
    if "client" in t:
        c = t["client"]
        cpath = path + ("client",)
        client = ClientRun(
            role=c.get("role", "client"), program=c.get("program", "student"),
            server=c.get("server", "reference"), argv=tuple(str(a) for a in c.get("argv", ())),
            stdin=c.get("stdin"),
            before=tuple(_build_step(s, cpath + ("before", i), timeout, ctx)
                         for i, s in enumerate(c.get("before", ()))),
            sent=tuple(_build_expectation(e, cpath + ("sent", i), ctx)
                       for i, e in enumerate(c.get("sent", ()))),
            output=tuple(_build_expectation(e, cpath + ("output", i), ctx)
                         for i, e in enumerate(c.get("output", ()))),
            exits=c.get("exits", True), timeout=c.get("timeout", ctx.defaults["client_timeout"]),
        )
    kind = ("startup" if t.get("startup") else "client" if client else
            "generated" if "generate" in t else "swarm" if "swarm" in t else "conversation")
    swarm = _build_swarm(t["swarm"], path + ("swarm",), timeout, ctx) if "swarm" in t else None
    generation = None
    if "generate" in t:
        g = t["generate"]
        generation = Generation(commands=tuple(g["commands"]), count=g.get("conversations", 1),
                                seed=g.get("seed", 1), length=g.get("length", 8), clients=g.get("clients", 3),
                                welcome=g.get("welcome", False), timeout=timeout)
    network = None
    if "network" in t:
        name = t["network"]
        if name not in ctx.networks:
            raise ctx.error(f"no network profile named {name!r}", path + ("network",),
                            "profiles defined under `networks:`: " + (", ".join(ctx.networks) or "none"))
        network = NetworkProfile.from_dict({"name": name, **ctx.networks[name]})
    return Test(name=t["name"], kind=kind, points=t.get("points", ctx.defaults["points"]),
                tags=tuple(t["tags"]), bonus=t.get("bonus", False), hidden=t.get("hidden", False),
                description=t.get("description", ""), hint=t.get("hint", ""),
                server_role=t.get("server_role", "server"), server=t.get("server", "student"),
                steps=steps, client=client,
                startup_timeout=t.get("startup_timeout", ctx.defaults["startup_timeout"]),
                network=network, generate=generation, swarm=swarm, line=line_of(ctx.lines, path) or 0)


CLIENT_NUMBER = "${i}"


def _build_swarm(w: dict, path: tuple, timeout: float, ctx: _Context) -> Swarm:
    """Expand ``${i}`` now, so the worker runs plain steps."""
    def numbered(step: Step, i: int, client: str) -> Step:
        fill = lambda text: text.replace(CLIENT_NUMBER, str(i)) if text is not None else None
        expect = step.expect and replace(step.expect, values=tuple(fill(v) for v in step.expect.values))
        return replace(step, client=client, text=fill(step.text), expect=expect)

    steps = [_build_step(s, path + ("steps", j), timeout, ctx) for j, s in enumerate(w["steps"])]
    per_client = tuple(tuple(numbered(s, i, f"s{i}") for s in steps) for i in range(1, w["clients"] + 1))
    then: list[Step] = []
    run: list[Step] = []
    for j, raw in enumerate([*w.get("then", []), None]):
        step = _build_step(raw, path + ("then", j), timeout, ctx) if raw is not None else None
        if step is not None and _mentions_number(step):
            run.append(step)
            continue
        then += [numbered(s, i, "checker") for i in range(1, w["clients"] + 1) for s in run]
        run = []
        if step is not None:
            then.append(replace(step, client="checker"))
    return Swarm(per_client, tuple(then))


def _mentions_number(step: Step) -> bool:
    texts = [step.text or ""] + list(step.expect.values if step.expect else ())
    return any(CLIENT_NUMBER in t for t in texts)


def _expand(test: Test) -> tuple[Test, ...]:
    """A test asking for N generated conversations becomes N tests sharing its points,
    so they run side by side, each in its own namespace."""
    if test.generate is None or test.generate.count == 1:
        return (test,)
    count = test.generate.count
    return tuple(replace(test, name=f"{test.name} ({i + 1}/{count})", points=round(test.points / count, 4),
                         generate=replace(test.generate, index=i)) for i in range(count))


def _build_step(s: dict, path: tuple, timeout: float, ctx: _Context) -> Step:
    actions = [a for a in ("connect", "send", "expect", "close") if a in s]
    if len(actions) != 1:
        what = "no action" if not actions else "several actions (" + ", ".join(actions) + ")"
        raise ctx.error(f"a step has {what}", path, "each step is exactly one of connect, send, expect, close")
    action = actions[0]
    common = dict(action=action, client=s.get("client", "c1"), timeout=s.get("timeout", timeout),
                  line=line_of(ctx.lines, path) or 0)
    if action == "send":
        send = s["send"]
        return Step(**common, **({"hex": send["hex"]} if isinstance(send, dict) else {"text": send}))
    if action == "expect":
        return Step(**common, expect=_build_expectation(s["expect"], path + ("expect",), ctx))
    return Step(**common)


def _build_expectation(e, path: tuple, ctx: _Context) -> Expectation:
    match = ctx.defaults["match"]
    if isinstance(e, str):
        return Expectation("equals", (e,), match)
    kinds = [k for k in EXPECTATION_KINDS if k in e]
    if len(kinds) != 1:
        what = "no kind" if not kinds else "several kinds (" + ", ".join(kinds) + ")"
        raise ctx.error(f"an expectation has {what}", path,
                        "use exactly one of: " + ", ".join(EXPECTATION_KINDS))
    kind, value, match = kinds[0], e[kinds[0]], e.get("match", match)
    if kind == "silence":
        return Expectation("silence", (), match, float(value))
    if kind in ("any", "closed", "reference"):
        return Expectation(kind, (), match)
    return Expectation(kind, (value,) if isinstance(value, str) else tuple(value), match)
