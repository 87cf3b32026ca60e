"""One module per ``grade`` subcommand; each offers ``add_arguments(parser)`` and ``run(args, console)``.

``grade PATH`` (no subcommand) is ``grade.py``. A user's mistake is raised as
``UsageError`` or ``SpecError`` and shown by ``grader.cli`` as one line on
stderr, ``PROG: error: MESSAGE`` as argparse shows its own; ``error_line`` is
that form, for a command that reports several mistakes itself.
"""
from __future__ import annotations

import sys

from grader.shown import shown

STDOUT = "-"            # an output file named - is standard output


class UsageError(Exception):
    pass


def error_line(prog: str, message: str, kind: str = "error") -> str:
    """``grade: error: MESSAGE`` (``kind`` "spec error" for a mistake in a spec file); a name quoted in
    the message is shown, not obeyed (``grader.shown``)."""
    return f"{prog}: {kind}: {shown(message, lines=True)}"


def print_error(prog: str, message: str, kind: str = "error") -> None:
    print(error_line(prog, message, kind), file=sys.stderr, flush=True)


def is_stdout(path) -> bool:
    return path is not None and str(path) == STDOUT
