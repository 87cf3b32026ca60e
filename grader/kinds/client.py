"""``client: {...}``: run a client program (the student's or the reference) against a server (the
reference or the student's) and check what it sent and printed (``grader.kinds.runners.client_check``)."""
from __future__ import annotations

from dataclasses import dataclass

import yaml

from grader.spec import match
from grader.kinds.base import TestKind
from grader.spec.model import Expectation, KindParams, Step
from grader.spec.modes import Player, Side
from grader.spec.yaml_marks import format_path, line_of
from grader.steps import TERMINAL_ACTIONS, action_of

DEFS = yaml.safe_load("""
interaction:
  description: one move of the person at the client's terminal
  type: object
  additionalProperties: false
  minProperties: 1
  properties:
    timeout: {$ref: "#/$defs/seconds"}

client_run:
  type: object
  additionalProperties: false
  properties:
    role: {type: string}
    program: {enum: [student, reference]}
    server: {enum: [student, reference]}
    argv:
      type: array
      items: {type: [string, number]}
    stdin: {type: string}
    interact:
      description: run the client on a terminal and answer its prompts
      type: array
      minItems: 1
      items: {$ref: "#/$defs/interaction"}
    before:
      type: array
      items: {$ref: "#/$defs/step"}
    sent:
      type: array
      items: {$ref: "#/$defs/expectation"}
    output:
      type: array
      items: {$ref: "#/$defs/expectation"}
    exits: {type: boolean}
    timeout: {$ref: "#/$defs/seconds"}
""")
DEFS["interaction"]["properties"].update({action.name: action.schema for action in TERMINAL_ACTIONS.values()})


@dataclass(frozen=True)
class ClientRun(KindParams):
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

    def step_runs(self):
        return (self.before,)

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


class Client(TestKind):
    key = "client"
    name = "client"
    schema = {"$ref": "#/$defs/client_run"}
    defs = DEFS
    params = ClientRun

    def build(self, value, raw, path, ctx):
        c, cpath, timeout = value, path + ("client",), ctx.timeout(raw)
        if "interact" in c and "stdin" in c:
            raise ctx.error("a client has both `stdin` and `interact`", cpath + ("interact",),
                            "`interact` types its answers at a terminal; give the input one way")
        return ClientRun(
            role=c.get("role", "client"), program=Player(c.get("program", Player.STUDENT)),
            server=Player(c.get("server", Player.REFERENCE)), argv=tuple(str(a) for a in c.get("argv", ())),
            stdin=c.get("stdin"),
            before=ctx.steps(c.get("before", ()), cpath + ("before",), timeout),
            interact=tuple(ctx.spend(_interaction(s, cpath + ("interact", i), timeout, ctx), cpath + ("interact", i))
                           for i, s in enumerate(c.get("interact", ()))),
            sent=tuple(ctx.expectation(e, cpath + ("sent", i)) for i, e in enumerate(c.get("sent", ()))),
            output=tuple(ctx.expectation(e, cpath + ("output", i)) for i, e in enumerate(c.get("output", ()))),
            exits=c.get("exits", True), timeout=c.get("timeout", ctx.defaults["client_timeout"]),
        )

    def roles(self, test):
        run = test.params
        student = [run.role] if run.program == Player.STUDENT else []
        reference = [run.role] if run.program == Player.REFERENCE else []
        (student if run.server == Player.STUDENT else reference).append(test.server_role)
        return tuple(dict.fromkeys(student)), tuple(dict.fromkeys(reference))

    def side(self, test, student_roles):
        if test.params.role in student_roles:
            return Side.PAIR if test.server_role in student_roles else Side.CLIENT
        return Side.SERVER

    def check(self, test, spec, path, ctx, known):
        client = test.params
        if test.network and client.server != Player.REFERENCE:
            raise ctx.error("a network profile needs a relay: use it in a conversation or in a client "
                            "run against the reference server", path + ("network",))
        for step in client.before:
            ctx.check_step(step, known)
            if step.expect and match.matcher(step.expect).from_reference:
                raise ctx.error("`reference` expectations are not supported in client.before",
                                step.where + ".expect", line=step.line)
        for j, arg in enumerate(client.argv):
            ctx.check_uses(arg, known, path + ("client", "argv", j))
        ctx.check_uses(client.stdin, known, path + ("client", "stdin"))
        for step in client.interact:
            ctx.check_step(step, known)
        for key in ("sent", "output"):
            for j, exp in enumerate(getattr(client, key)):
                where = path + ("client", key, j)
                if not match.matcher(exp).one_line:
                    raise ctx.error(f"`{exp.kind}` cannot describe a message or an output line",
                                    where, f"each item of `{key}` is one line: use "
                                           + match.either(match.kinds_where(lambda m: m.one_line)))
                ctx.check_expectation(exp, known, where)

    def budget(self, test):
        run = test.params
        return (test.startup_timeout + sum(action_of(s).budget(s) for s in run.before)
                + sum(action_of(s).budget(s) for s in run.interact) + run.timeout)

    def could_catch(self, test, plays, role):
        run = test.params
        if plays == Side.CLIENT:
            return run.program == Player.STUDENT and run.role == role
        return test.server_role == role and run.server == Player.STUDENT

    def summary(self, test):
        run = test.params
        return f"{run.program}'s {run.role} against the {run.server}'s {test.server_role}"

    def run(self, job, outcome):
        from grader.kinds.runners.client_check import run_client
        run_client(job, outcome)


def _interaction(s: dict, path: tuple, timeout: float, ctx) -> Step:
    actions = [TERMINAL_ACTIONS[a] for a in TERMINAL_ACTIONS if a in s]
    if len(actions) != 1:
        what = "no action" if not actions else "several actions (" + ", ".join(a.name for a in actions) + ")"
        raise ctx.error(f"an interaction has {what}", path,
                        f"each item of `interact` is one of {', '.join(TERMINAL_ACTIONS)}")
    common = dict(client="terminal", timeout=s.get("timeout", timeout),
                  line=line_of(ctx.lines, path) or 0, where=format_path(path))
    return actions[0].build(s[actions[0].name], s, common, ctx, path)
