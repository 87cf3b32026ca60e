"""A spec as data: the model every part of the grader reads (``model.py``), its modes, expectations,
variables and errors. Reading a spec file is ``grader.specfile``'s."""
from grader.spec.errors import SpecError
from grader.spec.model import Expectation, Role, Spec, Step, Test

__all__ = ["SpecError", "Spec", "Role", "Test", "Step", "Expectation"]
