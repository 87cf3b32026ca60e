"""Spec loading and validation: YAML in, ``grader.spec.model`` objects out."""
from grader.spec.errors import SpecError
from grader.spec.loader import load_spec
from grader.spec.model import ClientRun, Expectation, Role, Spec, Step, Test

__all__ = ["SpecError", "load_spec", "Spec", "Role", "Test", "Step", "ClientRun", "Expectation"]
