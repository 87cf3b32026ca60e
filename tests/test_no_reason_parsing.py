"""A failure's reason and a test's notes are words for people: no code of the grader reads anything back from
them (a cause, a status, whether a note is there), as tests/test_no_string_kinds.py checks of kinds. What a
failure was is its cause (``grader.results.Why``). Read from the source with ast: no regular expression is
run over a reason or a note, and none is searched (startswith, ``in``, find, split, ...)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("reason", "notes", "note")       # attributes and names holding the words
SEARCHES = {"startswith", "endswith", "find", "rfind", "index", "rindex", "count", "split", "rsplit",
            "partition", "rpartition", "removeprefix", "removesuffix", "splitlines"}
PATTERN_CALLS = {"search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split"}


def _names_of_words(tree) -> set[str]:
    """Names bound to a reason or a note: ``for n in test.notes``, ``[... for n in t.notes]``, ``r = t.reason``."""
    bound = set()
    for node in ast.walk(tree):
        pairs = []
        if isinstance(node, (ast.For, ast.comprehension)):
            pairs = [(node.target, node.iter)]
        elif isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        for target, value in pairs:
            if isinstance(target, ast.Name) and _is_words(value, set()):
                bound.add(target.id)
    return bound


def _is_words(node, bound: set[str]) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr in WORDS
    if isinstance(node, ast.Name):
        return node.id in WORDS or node.id in bound
    return False


def readings(source: str) -> list[int]:
    """Lines where a reason or a note is searched or matched."""
    tree = ast.parse(source)
    bound = _names_of_words(tree)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func
            if method.attr in SEARCHES and _is_words(method.value, bound):
                found.add(node.lineno)
            elif method.attr in PATTERN_CALLS and any(_is_words(a, bound) for a in node.args):
                found.add(node.lineno)          # re.search(..., reason), PATTERN.match(note)
        elif isinstance(node, ast.Compare):
            if any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and \
                    any(_is_words(side, bound) for side in node.comparators):
                found.add(node.lineno)          # "crash" in test.reason
    return sorted(found)


def test_no_reason_or_note_is_read_back():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in sorted((ROOT / "grader").rglob("*.py"))
             for line in readings(path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_check_catches_what_it_looks_for():
    planted = ("found = PATTERN.search(test.reason)\n"
               "if any(n.startswith(PAIR_NOTE) for n in test.notes): pass\n"
               "if 'was not handed in' in outcome.reason: pass\n"
               "why = result.reason\nkey = re.match(r'\\w+Error', why)\n"
               "for note in notes: note.split(':')\n")
    assert readings(planted) == [1, 2, 3, 5, 6]
    assert readings("text = f'{verdict.reason}; {gone}'\nif test.cause.kind is Cause.CRASHED: pass\n"
                    "notes.append(reason)\nclean(test.reason)\n") == []
