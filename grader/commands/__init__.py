"""One module per ``grade`` subcommand; each offers ``add_arguments(parser)`` and ``run(args, console)``.

``grade PATH`` (no subcommand) is ``grade.py``. A user's mistake is raised as
``UsageError`` or ``SpecError`` and shown by ``grader.cli`` as one line on
stderr, ``PROG: error: MESSAGE`` as argparse shows its own; ``error_line`` is
that form, for a command that reports several mistakes itself.
"""
from __future__ import annotations

import sys

STDOUT = "-"            # an output file named - is standard output


class UsageError(Exception):
    pass


def error_line(prog: str, message: str, kind: str = "error") -> str:
    """``grade: error: MESSAGE`` (``kind`` "spec error" for a mistake in a spec file)."""
    return f"{prog}: {kind}: {message}"


def print_error(prog: str, message: str, kind: str = "error") -> None:
    print(error_line(prog, message, kind), file=sys.stderr, flush=True)


def is_stdout(path) -> bool:
    return path is not None and str(path) == STDOUT
