"""The ``grade`` command line. A user's mistake ends in one message and exit status 2, never a traceback.

``grade PATH ...`` grades; ``grade SUBCOMMAND ...`` runs one of the modules in
``grader/commands/`` (listed in ``SUBCOMMANDS``).
"""
from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading

from rich.console import Console
from rich.text import Text

from grader import __version__
from grader.commands import UsageError
from grader.spec import SpecError

USAGE_ERROR = 2
SUBCOMMANDS: dict[str, str] = {     # name -> module in grader.commands
    "merge": "merge",
    "check": "check",
    "new": "new",
}


def _command(name: str):
    return importlib.import_module(f"grader.commands.{name}")


def build_parser(command: str = "grade") -> argparse.ArgumentParser:
    module = _command(command)
    prog = "grade" if command == "grade" else f"grade {command}"
    description = module.HELP
    if command == "grade" and SUBCOMMANDS:
        description += "; other commands: " + ", ".join(f"grade {n}" for n in SUBCOMMANDS)
    parser = argparse.ArgumentParser(prog=prog, description=description)
    module.add_arguments(parser)
    parser.add_argument("--version", action="version", version=f"sockgrade {__version__}")
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: running tests killed, scratch removed, exit 143."""


def _on_signal(signum, frame) -> None:
    # The first one stops grading; any more (an impatient second Ctrl-C) must not cut the cleanup short,
    # which kills every running test at once and takes well under a second.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    console = Console()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
    command = "grade"
    if argv and argv[0] in SUBCOMMANDS:
        command = SUBCOMMANDS[argv.pop(0)]
    try:
        args = build_parser(command).parse_args(argv)
        return _command(command).run(args, console)
    except SpecError as exc:
        console.print(Text("spec error ", style="bold red") + Text(str(exc)), highlight=False, soft_wrap=True)
        return USAGE_ERROR
    except UsageError as exc:
        console.print(Text("error ", style="bold red") + Text(str(exc)), highlight=False, soft_wrap=True)
        return USAGE_ERROR
    except Terminated:
        return 143
    except KeyboardInterrupt:
        return 130
