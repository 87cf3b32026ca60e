"""Kinds and modes are compared as what they are, never as words: a test's kind through ``grader.kinds``,
a step's action through ``grader.steps``; an expectation's kind, a zip entry's refusal, a transport, a
framing, a match mode, whose program plays (``Player``), a side, an isolation level, a job's mode and a
bonus policy as enum members. (tests/test_statuses.py checks the same of statuses.) Read from the
source with ast."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The names, attributes and dictionary keys that hold a kind or a mode, whose values must not be
# compared as text.
WATCHED = ("kind", "action",
           "transport", "framing", "match", "mode",                 # grader.spec.modes, runner.context.JobMode
           "program", "server", "which", "who", "plays", "side",    # Player, Side
           "isolation", "level", "requested",                       # runner.isolation.Level, Request
           "bonus")                                                 # input.config.BonusPolicy
# Programs run as students (see tests/test_layers.py): they import nothing of the grader, so they
# read the assignment's transport and framing as the words of their config file.
STANDALONE = ROOT / "grader" / "saboteurs"


def _watched(node) -> bool:
    if isinstance(node, ast.Attribute):
        name = node.attr
    elif isinstance(node, ast.Name):
        name = node.id
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        name = node.slice.value
    else:
        return False
    return name in WATCHED


def _text(node) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_text(e) for e in node.elts)
    return False


def _compares(left, op, right) -> bool:
    if isinstance(op, (ast.In, ast.NotIn)):        # `'/' in program` looks into a text, which is no mode
        return _watched(left) and _text(right)
    return (_watched(left) and _text(right)) or (_watched(right) and _text(left))


def comparisons(source: str):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_compares(*pair) for pair in zip(operands, node.ops, operands[1:])):
                yield node.lineno


def test_no_kind_or_mode_is_compared_with_a_word():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in sorted((ROOT / "grader").rglob("*.py"))
             if STANDALONE not in path.parents
             for line in comparisons(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_check_catches_what_it_looks_for():
    planted = ("if test.kind == 'startup': pass\nif step.action in ('type', 'eof'): pass\nif kind != 'v2': pass\n"
               "if job.transport == 'udp': pass\nif self.isolation != 'none': pass\nif mode == 'record': pass\n"
               "if t.side in ('server', 'client'): pass\nif config['framing'] == 'newline': pass\n")
    assert list(comparisons(planted)) == [1, 2, 3, 4, 5, 6, 7, 8]
    for name in WATCHED:
        assert list(comparisons(f"if x.{name} == 'w': pass\nif {name} != 'w': pass\n"
                                f"if x['{name}'] in ('v', 'w'): pass\n")) == [1, 2, 3], name
    assert list(comparisons("if test.kind is Kind.STARTUP: pass\nif name == 'startup': pass\n"
                            "if job.transport == Transport.UDP: pass\nif x[0] == 'server': pass\n"
                            "if '/' in program: pass\n")) == []
