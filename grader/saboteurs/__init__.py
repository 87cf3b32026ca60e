"""Built-in saboteurs: tiny wrong programs that ``grade check`` hands in as students.

A test that a saboteur passes cannot tell that saboteur from a correct
program, which is a bug in the spec. Each saboteur is a standalone program in
this folder; it learns the transport and address of the assignment from
``CONFIG_NAME``, written beside it in the submission (students' programs get
no arguments from the grader, so neither do saboteurs).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "sockgrade-saboteur.json"
SAME_REPLY = "same reply"


@dataclass(frozen=True)
class Saboteur:
    name: str           # what the teacher reads: "silent server"
    short: str          # a column header, above the role it plays
    plays: str          # the kind of role it replaces: server | client
    program: str        # file in this folder
    description: str    # what it does, for the teacher
    forgets: str = ""   # a forgetful reference (forgetful_server.py): how it forgets; only stateful tests must catch it

    @property
    def path(self) -> Path:
        return Path(__file__).resolve().parent / self.program


SABOTEURS = (
    Saboteur("silent server", "silent", "server", "silent_server.py",
             "binds the port and reads every message, but never answers"),
    Saboteur("same-reply server", "same-reply", "server", "same_reply_server.py",
             f"answers every message with the same text, {SAME_REPLY!r}"),
    Saboteur("echo server", "echo", "server", "echo_server.py",
             "sends every message back to its sender unchanged"),
    Saboteur("crashing server", "crashing", "server", "crash_server.py",
             "binds the port and crashes when the first message arrives"),
    Saboteur("mute client", "mute", "client", "mute_client.py",
             "prints nothing, sends nothing and exits at once"),
    Saboteur("server with no memory", "no-memory", "server", "forgetful_server.py",
             "the reference, started afresh for every message", forgets="message"),
    Saboteur("server with a book per client", "per-client", "server", "forgetful_server.py",
             "the reference, one copy per client (over TCP per connection)", forgets="client"),
    Saboteur("restarted server", "restarted", "server", "forgetful_server.py",
             "the reference, restarted after its first answer", forgets="restart"),
)
REFERENCE_COPY = "sockgrade-reference.py"      # where a forgetful saboteur finds the reference it wraps


def write_config(folder: Path, spec, saboteur: Saboteur | None = None) -> None:
    """Tell the saboteurs in ``folder`` how to reach the assignment's port (and how to forget)."""
    config = {"transport": spec.transport, "host": spec.host, "port": spec.port,
              "framing": spec.framing, "reply": SAME_REPLY,
              "forget": saboteur.forgets if saboteur else "", "reference": REFERENCE_COPY}
    (folder / CONFIG_NAME).write_text(json.dumps(config), encoding="utf-8")
