"""Kinds are compared as what they are, never as words: a test's kind through ``grader.kinds``, a step's
action through ``grader.steps``, an expectation's kind, a zip entry's refusal and the like as enum
members. (tests/test_statuses.py checks the same of statuses.) Read from the source with ast."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WATCHED = ("kind", "action")          # names and attributes whose values must not be compared as text


def _watched(node) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name in WATCHED


def _text(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_text(e) for e in node.elts)
    return False


def comparisons(source: str):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_watched(s) for s in sides) and any(_text(s) for s in sides):
                yield node.lineno


def test_no_kind_or_action_is_compared_with_a_word():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in sorted((ROOT / "grader").rglob("*.py"))
             for line in comparisons(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_check_catches_what_it_looks_for():
    planted = "if test.kind == 'startup': pass\nif step.action in ('type', 'eof'): pass\nif kind != 'v2': pass\n"
    assert list(comparisons(planted)) == [1, 2, 3]
    assert list(comparisons("if test.kind is Kind.STARTUP: pass\nif name == 'startup': pass\n")) == []
