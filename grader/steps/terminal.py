"""The moves of the person at a client's terminal (a client run's ``interact:`` list): wait for a
``prompt``, ``type`` a line, end the input (``eof``). Each is played on the client program's
pseudo-terminal (``grader.runner.pty_program``) rather than on a socket."""
from __future__ import annotations

from grader import match
from grader.spec.model import Step
from grader.spec.variables import resolve, substitute

PROMPT_KINDS = match.kinds_where(lambda m: m.prompts)


class TerminalAction:
    name = ""

    def build(self, value, common: dict, ctx, path: tuple) -> Step:
        return Step(action=self.name, **common)

    def play(self, step: Step, program, job) -> str:
        """Do the move; the reason it failed, or '' when it did not."""
        raise NotImplementedError


class Prompt(TerminalAction):
    name = "prompt"

    def build(self, value, common, ctx, path):
        prompt = {"contains": value} if isinstance(value, str) else value
        return Step(action=self.name, expect=ctx.expectation(prompt, path + ("prompt",), PROMPT_KINDS), **common)

    def play(self, step, program, job):
        expectation = resolve(step.expect, job.variables)
        captured = program.wait_for(expectation, step.timeout)
        if captured is None:
            shown = " | ".join(line.strip() for line in program.unread().splitlines()[-6:] if line.strip())
            when = "before it ended" if not program.running() else f"within {step.timeout:g} s"
            return (f"expected the client to print {match.describe(expectation)} {when}; "
                    f"it printed: {shown or 'nothing'}")
        job.variables.update(captured)
        return ""


class Type(TerminalAction):
    name = "type"

    def build(self, value, common, ctx, path):
        return Step(action=self.name, text=str(value), **common)

    def play(self, step, program, job):
        text = substitute(step.text, job.variables)
        job.transcript.add("terminal", "sent", text + "\n")
        program.type(text)
        return ""


class Eof(TerminalAction):
    name = "eof"

    def play(self, step, program, job):
        job.transcript.add("terminal", "note", "end of input (Ctrl-D)")
        program.end_input()
        return ""


TERMINAL_ACTIONS: dict[str, TerminalAction] = {a.name: a for a in (Prompt(), Type(), Eof())}
