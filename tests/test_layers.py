"""The grader's packages import only downstream: each package may use those below it in LAYERS, never
one above (docs/architecture.md draws the flow). Reading the source, not importing it: a lazy import
inside a function counts as much as one at the top."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "grader"

# Bottom first. A module belongs to the first entry its dotted name starts with.
LAYERS = (
    ("core", ("grader.paths", "grader.files", "grader.scratch", "grader.shown", "grader.textfile",
              "grader.saboteurs")),
    ("spec", ("grader.spec",)),          # the spec as data, and how text meets its expectations (spec.match)
    # The names of the output formats import nothing: the course file's reader checks its [outputs] by them.
    ("results", ("grader.results", "grader.formats")),
    ("net", ("grader.net",)),
    ("runner", ("grader.runner",)),             # running and supervising processes, nothing else
    ("job", ("grader.job",)),                   # one test's run: its request, context and outcome
    # A step action (grader.steps) and a test kind (grader.kinds, with how each runs) own their key's
    # schema, builder, checks and play ...
    ("steps", ("grader.steps",)),
    ("kinds", ("grader.kinds",)),
    ("worker", ("grader.worker",)),             # the process that runs a test, above the kinds it dispatches to
    # ... and reading a spec file (the loader; the schema, its errors explained, the builders and checks;
    # the catalog) sits above them all: it builds the model with their help. The model itself
    # (grader.spec.model, errors, ...) is at the bottom.
    ("plan", ("grader.specfile",)),
    ("input", ("grader.input",)),
    ("reporting", ("grader.reporting",)),
    ("grading", ("grader.grading",)),
    ("commands", ("grader.commands", "grader.cli", "grader.__main__")),
)
STANDALONE = ("grader.saboteurs.",)    # programs run as students: they import nothing of the grader


def layer_of(module: str) -> int:
    best = None
    for rank, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and prefix != "grader":
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    if best is None and module in ("grader", "grader.__init__"):
        return 0
    if module == "grader.spec":          # the package itself: what its __init__ re-exports
        return layer_of("grader.spec.__init__")
    assert best is not None, f"{module} belongs to no layer: add it to LAYERS"
    return best[0]


def modules():
    for path in sorted(ROOT.rglob("*.py")):
        yield ".".join(path.relative_to(ROOT.parent).with_suffix("").parts), path


def _type_checking_only(tree) -> set[int]:
    """The ids of import nodes under ``if TYPE_CHECKING:``: read by type checkers only, never run."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING":
            found |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return found


def grader_imports(path: Path, module: str):
    package = module.rsplit(".", 1)[0] if not path.name == "__init__.py" else module
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names]
        else:
            continue
        yield from (t for t in targets if t == "grader" or t.startswith("grader."))


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (ROOT.parent / rel).with_suffix(".py").is_file() or (ROOT.parent / rel / "__init__.py").is_file()


def test_every_module_has_a_layer():
    for module, _path in modules():
        if not module.startswith(STANDALONE):
            layer_of(module)


@pytest.mark.parametrize("module,path", list(modules()), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_point_only_downstream(module, path):
    if module.startswith(STANDALONE):
        assert list(grader_imports(path, module)) == [], f"{module} is a student program: it imports no grader code"
        return
    mine = layer_of(module)
    upward = [(target, LAYERS[layer_of(target)][0]) for target in grader_imports(path, module)
              if layer_of(target) > mine]
    assert not upward, f"{module} ({LAYERS[mine][0]}) imports from a layer above it: {upward}"


def _graph(key) -> dict[str, set[str]]:
    """Who imports whom, by ``key`` (the module itself, or its package), a module's own package aside."""
    edges: dict[str, set[str]] = {}
    for module, path in modules():
        if module.startswith(STANDALONE):
            continue
        mine = key(module)
        edges.setdefault(mine, set()).update(key(t) for t in grader_imports(path, module) if key(t) != mine)
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str]:
    """One circle of imports in ``edges``, or []."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def _module(name: str) -> str:
    return name.removesuffix(".__init__")


def _package(name: str) -> str:
    """grader.runner for grader.runner.process; a top-level module (grader.spec.match) is its own."""
    return ".".join(_module(name).split(".")[:2])


@pytest.mark.parametrize("key", [_module, _package], ids=["modules", "packages"])
def test_no_circle_of_imports(key):
    """No module, and no package of grader/, reaches itself through its imports (lazy ones included)."""
    assert _cycle(_graph(key)) == []


def test_the_circle_check_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []
