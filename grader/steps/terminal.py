"""The moves of the person at a client's terminal (a client run's ``interact:`` list): wait for a
``prompt``, ``type`` a line, end the input (``eof``). Each is played on the client program's
pseudo-terminal (``grader.runner.pty_program``) rather than on a socket."""
from __future__ import annotations

from grader.spec import match
from grader.net.peer import Verdict
from grader.results import Cause, Why
from grader.spec.model import Step
from grader.spec.variables import resolve, substitute
from grader.steps.base import StepAction

PROMPT_KINDS = match.kinds_where(lambda m: m.prompts)


class Prompt(StepAction):
    name = "prompt"
    on_terminal = True
    schema = {"description": "a string, or a mapping with one of contains, regex", "oneOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
            "contains": {"oneOf": [{"type": "string"}, {"$ref": "#/$defs/text_list"}]},
            "regex": {"oneOf": [{"type": "string"}, {"$ref": "#/$defs/text_list"}]},
            "capture": {"$ref": "#/$defs/variable"},
            "match": {"enum": ["tolerant", "exact"]}}},
    ]}

    def build(self, value, raw, common, ctx, path):
        prompt = {"contains": value} if isinstance(value, str) else value
        return Step(action=self.name, expect=ctx.expectation(prompt, path + ("prompt",), PROMPT_KINDS), **common)

    def play(self, step, playing):
        program, job = playing.program, playing.job
        expectation = resolve(step.expect, job.variables)
        captured = program.wait_for(expectation, step.timeout)
        if captured is None:
            shown = " | ".join(line.strip() for line in program.unread().splitlines()[-6:] if line.strip())
            when = "before it ended" if not program.running() else f"within {step.timeout:g} s"
            return Verdict(False, reason=f"expected the client to print {match.describe(expectation)} {when}; "
                                         f"it printed: {shown or 'nothing'}", cause=Why(Cause.WRONG_OUTPUT))
        job.variables.update(captured)
        return None


class Type(StepAction):
    name = "type"
    on_terminal = True
    schema = {"type": ["string", "number"], "description": "a line typed at the terminal (Enter is added)"}

    def build(self, value, raw, common, ctx, path):
        return Step(action=self.name, text=str(value), **common)

    def play(self, step, playing):
        text = substitute(step.text, playing.job.variables)
        playing.job.transcript.add("terminal", "sent", text + "\n")
        playing.program.type(text)
        return None


class Eof(StepAction):
    name = "eof"
    on_terminal = True
    schema = {"const": True, "description": "end the input, as Ctrl-D does"}

    def play(self, step, playing):
        playing.job.transcript.add("terminal", "note", "end of input (Ctrl-D)")
        playing.program.end_input()
        return None
