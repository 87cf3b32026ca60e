"""Every command's synopsis, made from the real parsers: the usage block of the README and of
docs/cli.md is this text (``python -m grader.commands.usage`` prints it; tests/test_usage_doc.py
checks both against it), so the documents cannot drift from ``grade --help``."""
from __future__ import annotations

import argparse

from grader.commands.parser import SUBCOMMANDS, build_parser

WIDTH = 100


def _option(action: argparse.Action) -> str:
    if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
        return ""
    if not action.option_strings:                       # a positional
        name = action.metavar or action.dest
        word = name if isinstance(name, str) else " ".join(name)
        if action.nargs in ("*", "?"):
            return f"[{word}{'...' if action.nargs == '*' else ''}]"
        return word + ("..." if action.nargs == "+" else "")
    longs = [o for o in action.option_strings if o.startswith("--")] or action.option_strings
    flag = " | ".join(longs)
    if action.nargs == 0:
        return f"[{flag}]"
    if action.choices:
        value = "|".join(str(c) for c in action.choices)
    else:
        value = action.metavar or (action.dest.upper() if not isinstance(action, argparse._StoreAction)
                                   or action.type is None else "N")
        if action.metavar is None and action.type is not None:
            value = action.dest.upper()
    return f"[{flag} {value}]" + ("..." if isinstance(action, argparse._AppendAction) else "")


def synopsis(command: str) -> str:
    """``grade ...`` or ``grade COMMAND ...`` with every option, wrapped at ``WIDTH``."""
    parser = build_parser(command)
    prog = parser.prog
    positionals = [a for a in parser._actions if not a.option_strings]
    options = [a for a in parser._actions if a.option_strings]
    words = [w for w in map(_option, positionals + options) if w] + ["[--version]", "[-h]"]
    lines, indent = [prog], " " * (len(prog) + 1)
    for word in words:                  # an option and its value stay on one line
        if len(lines[-1]) + 1 + len(word) > WIDTH:
            lines.append(indent + word)
        else:
            lines[-1] += " " + word
    return "\n".join(lines)


def text() -> str:
    """Every command's synopsis, ``grade`` first."""
    return "\n".join(synopsis(command) for command in ["grade", *SUBCOMMANDS]) + "\n"


if __name__ == "__main__":
    print(text(), end="")
