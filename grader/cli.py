"""The ``grade`` command line. A user's mistake ends in one message and exit status 2, never a traceback.

``grade PATH ...`` grades; ``grade SUBCOMMAND ...`` runs one of the modules in
``grader/commands/`` (listed in ``SUBCOMMANDS``). Mistakes go to stderr as
argparse writes its own (``grade: error: ...``, ``grade check: spec error:
FILE:LINE: ...``); stdout holds what the command was asked for, so that
``grade CLASS --json - | jq`` reads JSON alone: when an output goes to stdout,
everything meant for a person goes to stderr.
"""
from __future__ import annotations

import os
import signal
import sys
import threading

from rich.console import Console

from grader.commands import UsageError, is_stdout, print_error
from grader.commands.parser import SUBCOMMANDS, build_parser, command_module
from grader.formats import MAY_BE_STDOUT
from grader.spec import SpecError

USAGE_ERROR = 2
BROKEN_PIPE = 1        # `grade list | head`: the reader left (rich's console exits so on its own)
# Not on a terminal (a pipe, a file, CI), tables are as wide as their content: no name cut to 80 columns.
PIPE_WIDTH = 1000
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
        code = command_module(command).run(args, console_for(args))
        sys.stdout.flush()      # a reader that left early is found here, not when Python exits (status 120)
        return code
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
