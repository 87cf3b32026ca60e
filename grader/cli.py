"""The ``grade`` command line. A user's mistake ends in one message and exit status 2, never a traceback.

``grade PATH ...`` grades; ``grade SUBCOMMAND ...`` runs one of the modules in
``grader/commands/`` (listed in ``SUBCOMMANDS``). Mistakes go to stderr as
argparse writes its own (``grade: error: ...``, ``grade check: spec error:
FILE:LINE: ...``); stdout holds what the command was asked for, so that
``grade CLASS --json - | jq`` reads JSON alone: when an output goes to stdout,
everything meant for a person goes to stderr.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from rich.console import Console

from grader import __version__
from grader.commands import UsageError, is_stdout, print_error
from grader.reporting.formats import MAY_BE_STDOUT
from grader.spec import SpecError

USAGE_ERROR = 2
BROKEN_PIPE = 1        # `grade list | head`: the reader left (rich's console exits so on its own)
# Not on a terminal (a pipe, a file, CI), tables are as wide as their content: no name cut to 80 columns.
PIPE_WIDTH = 1000
SUBCOMMANDS: dict[str, str] = {     # name -> module in grader.commands
    "merge": "merge",
    "check": "check",
    "new": "new",
    "similar": "similar",
    "new-course": "new_course",
    "list": "listing",
    "help": "help",
}


def _command(name: str):
    return importlib.import_module(f"grader.commands.{name}")


def build_parser(command: str = "grade") -> argparse.ArgumentParser:
    """The parser of ``grade`` or of the subcommand named ``command`` (as typed: ``list``, ``check``...)."""
    module = _command(SUBCOMMANDS.get(command, command))
    prog = "grade" if command == "grade" else f"grade {command}"
    epilog = None
    if command == "grade":
        width = max(map(len, SUBCOMMANDS)) + len("grade ")
        epilog = "other commands (grade help COMMAND for each one's options):\n" + "\n".join(
            f"  {'grade ' + name:<{width}}  {_command(module_name).HELP}"
            for name, module_name in SUBCOMMANDS.items())
    parser = argparse.ArgumentParser(prog=prog, description=module.HELP, epilog=epilog,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
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


def console_for(args) -> Console:
    """Where the tables and messages for a person go: stdout, or stderr when an output is written there."""
    console = Console(stderr=any(is_stdout(getattr(args, name, None)) for name in MAY_BE_STDOUT))
    if not console.is_terminal:
        console.width = PIPE_WIDTH
    return console


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_signal)
        signal.signal(signal.SIGTERM, _on_signal)
    command = "grade"
    if argv and argv[0] in SUBCOMMANDS:
        command = argv.pop(0)
    prog = "grade" if command == "grade" else f"grade {command}"
    try:
        args = build_parser(command).parse_args(argv)
        return _command(SUBCOMMANDS.get(command, command)).run(args, console_for(args))
    except SpecError as exc:
        print_error(prog, str(exc), kind="spec error")
        return USAGE_ERROR
    except UsageError as exc:
        print_error(prog, str(exc))
        return USAGE_ERROR
    except BrokenPipeError:
        # Whatever is still buffered for the pipe must not fail again when Python exits.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except Terminated:
        return 143
    except KeyboardInterrupt:
        return 130
