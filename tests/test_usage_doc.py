"""The usage block of the README and of docs/cli.md is the real parser's: made by
``grader.commands.usage`` and checked here, against it and against ``grade --help`` itself, so a
new option cannot be missing from them."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import ROOT
from grader.commands import usage
from grader.commands.parser import SUBCOMMANDS

MARK = "<!-- usage: made by `python -m grader.commands.usage`"
DOCUMENTS = ("README.md", "docs/cli.md")


def block(document: str) -> str:
    text = (ROOT / document).read_text(encoding="utf-8")
    assert MARK in text, f"{document} has no usage block"
    after = text.split(MARK, 1)[1].split("\n```\n", 1)[1]
    return after.split("```\n", 1)[0]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_usage_block_is_the_parsers(document):
    assert block(document) == usage.text(), f"run `python -m grader.commands.usage` and paste it into {document}"


@pytest.mark.parametrize("command", ["grade", *SUBCOMMANDS])
def test_every_option_of_the_help_is_in_the_block(command):
    args = ["--help"] if command == "grade" else [command, "--help"]
    helped = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=60,
                            env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"})
    assert helped.returncode == 0, helped.stderr
    said = helped.stdout.split("usage:", 1)[1].split("\n\n", 1)[0]           # argparse's own usage lines
    options = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", said)) - {"--help"}
    synopsis = usage.synopsis(command)
    assert options and all(o in synopsis for o in options), sorted(o for o in options if o not in synopsis)
    if command == "grade":
        assert "strict" in synopsis and "--version" in synopsis
