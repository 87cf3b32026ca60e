"""What the schema cannot say: checks across keys, run after the model is built."""
from __future__ import annotations

import re

from grader.spec import match
from grader.kinds import kind_of
from grader.spec.variables import names_used, placeholders
from grader.spec.modes import Transport


def check_spec(spec, ctx) -> None:
    names = {}
    for i, test in enumerate(spec.tests):
        path = ("tests", i)
        if test.name in names:
            raise ctx.error(f"test name {test.name!r} is used twice (first at test {names[test.name]})",
                            path + ("name",), "test names identify results in every report")
        names[test.name] = i
        for role in test.roles_used + test.reference_roles:
            if role not in spec.roles:
                raise ctx.error(f"test uses role {role!r}, which the spec's roles do not define",
                                path, "roles defined: " + ", ".join(spec.roles))
        for role in test.reference_roles:
            if spec.roles[role].reference is None:
                raise ctx.error(f"test needs the reference program of role {role!r}, which has none",
                                path, f"add `reference:` under roles.{role}")
        if test.network and spec.transport != Transport.UDP:
            raise ctx.error("network profiles shape UDP datagrams; this spec is TCP", path + ("network",))
        known: set[str] = set()        # variables captured so far, in the order steps run
        kind_of(test).check(test, spec, path, ctx, known)


def check_step(step, known: set, ctx) -> None:
    """Patterns compile; every ``${name}`` was captured by an earlier step; record new captures."""
    check_uses(step.text, known, step.where, ctx, step.line)
    if step.expect:
        check_expectation(step.expect, known, f"{step.where}.{step.action}", ctx, step.line)
        known.update(captured_names(step.expect))


def check_expectation(exp, known: set, where, ctx, line: int | None = None) -> None:
    for value in exp.values:
        check_uses(value, known, where, ctx, line)
        if match.matcher(exp).patterns:
            try:
                re.compile(placeholders(value))
            except re.error as exc:
                raise ctx.error(f"bad regular expression {value!r}: {exc}", where, line=line,
                                hint="in YAML, write a pattern in double quotes with each \\ doubled, "
                                     "or in single quotes as it is") from None
    for item in exp.items:
        check_expectation(item, known, where, ctx, line)


def check_uses(text, known: set, where, ctx, line: int | None = None) -> None:
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
    if match.matcher(exp).patterns:
        for value in exp.values:
            try:
                names.update(re.compile(placeholders(value)).groupindex)
            except re.error:
                pass
    for item in exp.items:
        names |= captured_names(item)
    return names
