"""Spec loading and validation: YAML in, ``grader.spec.model`` objects out."""
from grader.spec.errors import SpecError
from grader.spec.model import Expectation, Role, Spec, Step, Test

__all__ = ["SpecError", "load_spec", "Spec", "Role", "Test", "Step", "Expectation"]


def __getattr__(name: str):
    # The loader pulls in yaml and jsonschema; a test's worker needs only the model, so it loads on first use.
    if name == "load_spec":
        from grader.spec.loader import load_spec
        return load_spec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
