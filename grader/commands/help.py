"""``grade help [COMMAND]``: the help of ``grade``, or of one of its commands (``grade COMMAND --help``)."""
from __future__ import annotations

import sys

HELP = "show the options of grade, or of one of its commands"


def add_arguments(parser) -> None:
    from grader.commands.parser import SUBCOMMANDS
    parser.add_argument("command", nargs="?", choices=list(SUBCOMMANDS), metavar="COMMAND",
                        help="one of: " + ", ".join(SUBCOMMANDS) + " (default: grade itself)")


def run(args, console) -> int:
    from grader.commands.parser import build_parser
    sys.stdout.write(build_parser(args.command or "grade").format_help())
    return 0
