"""What the schema cannot say: checks across keys, run after the model is built."""
from __future__ import annotations

import re

from grader.spec.variables import names_used, placeholders


def check_spec(spec, ctx) -> None:
    names = {}
    for i, test in enumerate(spec.tests):
        path = ("tests", i)
        if test.name in names:
            raise ctx.error(f"test name {test.name!r} is used twice (first at test {names[test.name]})",
                            path + ("name",), "test names identify results in every report")
        names[test.name] = i
        for role in test.roles_used + _reference_roles(test):
            if role not in spec.roles:
                raise ctx.error(f"test uses role {role!r}, which the spec's roles do not define",
                                path, "roles defined: " + ", ".join(spec.roles))
        for role in _reference_roles(test):
            if spec.roles[role].reference is None:
                raise ctx.error(f"test needs the reference program of role {role!r}, which has none",
                                path, f"add `reference:` under roles.{role}")
        known: set[str] = set()        # variables captured so far, in the order steps run
        for step in test.steps:
            _check_step(step, known, ctx)
        if test.generate and spec.transport == "udp" and test.generate.welcome:
            raise ctx.error("`welcome` is for TCP: a UDP server greets nobody", path + ("generate", "welcome"))
        if test.network:
            if spec.transport != "udp":
                raise ctx.error("network profiles shape UDP datagrams; this spec is TCP", path + ("network",))
            if test.kind == "startup" or (test.client and test.client.server != "reference"):
                raise ctx.error("a network profile needs a relay: use it in a conversation or in a client "
                                "run against the reference server", path + ("network",))
        if test.client:
            client = test.client
            for step in client.before:
                _check_step(step, known, ctx)
                if step.expect and step.expect.kind == "reference":
                    raise ctx.error("`reference` expectations are not supported in client.before",
                                    step.where + ".expect", line=step.line)
            for j, arg in enumerate(client.argv):
                _check_uses(arg, known, path + ("client", "argv", j), ctx)
            _check_uses(client.stdin, known, path + ("client", "stdin"), ctx)
            for step in client.interact:
                _check_step(step, known, ctx)
            for key in ("sent", "output"):
                for j, exp in enumerate(getattr(client, key)):
                    where = path + ("client", key, j)
                    if exp.kind in ("closed", "silence", "reference", "lines"):
                        raise ctx.error(f"`{exp.kind}` cannot describe a message or an output line",
                                        where, f"each item of `{key}` is one line: "
                                               "use equals, one_of, contains, regex or any")
                    _check_expectation(exp, known, where, ctx)


def _reference_roles(test) -> tuple[str, ...]:
    roles = []
    if test.needs_reference_answers() or test.generate or (test.kind != "client" and test.server == "reference"):
        roles.append(test.server_role)
    if test.client:
        if test.client.program == "reference":
            roles.append(test.client.role)
        if test.client.server == "reference":
            roles.append(test.server_role)
    return tuple(dict.fromkeys(roles))


def _check_step(step, known: set, ctx) -> None:
    """Patterns compile; every ``${name}`` was captured by an earlier step; record new captures."""
    _check_uses(step.text, known, step.where, ctx, step.line)
    if step.expect:
        _check_expectation(step.expect, known, step.where + ".expect" if step.action == "expect"
                           else step.where + ".prompt", ctx, step.line)
        known.update(captured_names(step.expect))


def _check_expectation(exp, known: set, where, ctx, line: int | None = None) -> None:
    for value in exp.values:
        _check_uses(value, known, where, ctx, line)
        if exp.kind == "regex":
            try:
                re.compile(placeholders(value))
            except re.error as exc:
                raise ctx.error(f"bad regular expression {value!r}: {exc}", where, line=line,
                                hint="in YAML, write a pattern in double quotes with each \\ doubled, "
                                     "or in single quotes as it is") from None
    for item in exp.items:
        _check_expectation(item, known, where, ctx, line)


def _check_uses(text, known: set, where, ctx, line: int | None = None) -> None:
    for name in names_used(text):
        if name not in known:
            hint = ("capture it first: a regex group (?P<" + name + ">...) or `capture: " + name
                    + "` in an earlier expect or prompt")
            if known:
                hint += "; captured so far: " + ", ".join(sorted(known))
            raise ctx.error(f"${{{name}}} is used before any step captures it", where, hint, line=line)


def captured_names(exp) -> set[str]:
    """The variables an expectation stores when it matches."""
    names = {exp.capture} if exp.capture else set()
    if exp.kind == "regex":
        for value in exp.values:
            try:
                names.update(re.compile(placeholders(value)).groupindex)
            except re.error:
                pass
    for item in exp.items:
        names |= captured_names(item)
    return names
