"""The parser of ``grade`` and of each subcommand: every command module in ``grader/commands/`` adds its
own arguments (``add_arguments``) and says what it does (``HELP``); here they are put together."""
from __future__ import annotations

import argparse
import importlib

from grader import __version__

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


def command_module(command: str):
    """The module that runs ``command`` as typed (``grade``, ``list``, ``new-course``...)."""
    return _command(SUBCOMMANDS.get(command, command))
