"""What the schema cannot say: checks across keys, run after the model is built."""
from __future__ import annotations

import re


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
        for j, step in enumerate(test.steps):
            _check_step(step, path + ("steps", j), ctx)
        if test.generate and spec.transport == "udp" and test.generate.welcome:
            raise ctx.error("`welcome` is for TCP: a UDP server greets nobody", path + ("generate", "welcome"))
        if test.network:
            if spec.transport != "udp":
                raise ctx.error("network profiles shape UDP datagrams; this spec is TCP", path + ("network",))
            if test.kind == "startup" or (test.client and test.client.server != "reference"):
                raise ctx.error("a network profile needs a relay: use it in a conversation or in a client "
                                "run against the reference server", path + ("network",))
        if test.client:
            for j, step in enumerate(test.client.before):
                _check_step(step, path + ("client", "before", j), ctx)
                if step.expect and step.expect.kind == "reference":
                    raise ctx.error("`reference` expectations are not supported in client.before",
                                    path + ("client", "before", j, "expect"))
            for j, exp in enumerate(test.client.sent + test.client.output):
                if exp.kind in ("closed", "silence", "reference"):
                    raise ctx.error(f"`{exp.kind}` cannot describe a message or an output line",
                                    path + ("client",), "use equals, one_of, contains, regex or any")


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


def _check_step(step, path, ctx) -> None:
    if step.expect and step.expect.kind == "regex":
        for pattern in step.expect.values:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ctx.error(f"bad regular expression {pattern!r}: {exc}", path + ("expect",)) from None
