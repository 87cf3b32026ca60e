"""Reading a spec file: YAML in, ``grader.spec.model`` objects out (``loader.py``), with the schema
assembled from the kinds' and actions' parts (``schema.py``), its errors explained at the file, line
and key (``explain.py``), the model built (``build.py``) and checked beyond the schema (``checks.py``);
and the shipped specs found by id (``catalog.py``)."""
from grader.spec.errors import SpecError

__all__ = ["SpecError", "load_spec"]


def __getattr__(name: str):
    # The loader pulls in yaml and jsonschema: loaded on first use.
    if name == "load_spec":
        from grader.specfile.loader import load_spec
        return load_spec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
