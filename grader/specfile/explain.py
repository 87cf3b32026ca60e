"""Explaining a schema error: a jsonschema error becomes a ``SpecError`` with the file, the line and
the key path, in words a spec's author can act on (what is wrong, and a hint)."""
from __future__ import annotations

import difflib

from grader.kinds import KINDS, kind_in
from grader.spec.errors import SpecError
from grader.spec.yaml_marks import format_path, line_of


def spec_error(error, lines: dict, source) -> SpecError:
    message, hint, path = _explain(error)
    return SpecError(source, message, path=format_path(path), line=line_of(lines, path), hint=hint)


def most_useful(errors):
    """The deepest error is usually the one that names the offending key."""
    import jsonschema

    def depth(e):
        return len(list(e.absolute_path))
    return jsonschema.exceptions.best_match([_inside_mapping(e) for e in errors],
                                            key=lambda e: (depth(e), -len(e.context)))


def _inside_mapping(error):
    """For "a string or a mapping" given a mapping, what is wrong inside the mapping says more."""
    if error.validator != "oneOf" or not isinstance(error.instance, dict):
        return error
    branch = next((i for i, s in enumerate(error.validator_value) if s.get("type") == "object"), None)
    inside = [e for e in error.context if branch is not None and list(e.schema_path)[:1] == [branch]]
    return most_useful(inside) if inside else error


def _explain(error) -> tuple[str, str, list]:
    path = list(error.absolute_path)
    schema_ = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(schema_.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        key = unknown[0] if unknown else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else (f"allowed keys: {', '.join(allowed)}" if allowed else "")
        return f"unknown key '{key}'", hint, path + [key]
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing"), "", path
    if error.validator == "oneOf" and _is_expectation(error):
        kinds = schema_.get("description", "").removeprefix(_FORMS)
        key = next((p for p in reversed(path) if isinstance(p, str)), "expect")
        noun = {"lines": "line", "prompt": "prompt"}.get(key, "expectation")
        whose = f"each item of `{key}`" if path and isinstance(path[-1], int) else f"`{key}`"
        return (f"{_short(error.instance)} is not a valid {noun}",
                f"{whose} must be a string or a mapping with one of: {kinds}", path)
    if error.validator == "oneOf" and isinstance(error.instance, dict) and "name" in error.instance:
        keys = [kind.key for kind in KINDS]
        what = "none of" if not kind_in(error.instance) else "more than one of"
        return (f"test {error.instance.get('name')!r} has {what} {', '.join(keys)}",
                "a test is exactly one of: " + ", ".join(f"`{key}`" for key in keys), path)
    if error.validator == "pattern":
        key = next((p for p in reversed(path) if isinstance(p, str)), "value")
        return (f"{_short(error.instance)} is not a valid {key}",
                schema_.get("description", f"it must match {error.validator_value}"), path)
    if error.validator == "enum":
        return f"{_short(error.instance)} is not one of {', '.join(map(str, error.validator_value))}", "", path
    if error.validator == "type":
        return (f"{_short(error.instance)} should be of type {error.validator_value}",
                schema_.get("x-type-hint", ""), path)
    if error.validator in _BOUNDS:
        key = next((p for p in reversed(path) if isinstance(p, str)), "value")
        return (f"`{key}` is {_short(error.instance)}; {_BOUNDS[error.validator]} {_num(error.validator_value)}",
                _range(error.schema), path)
    return error.message, "", path


_FORMS = "a string, or a mapping with one of "
_BOUNDS = {"maximum": "it may be at most", "minimum": "it must be at least",
           "exclusiveMaximum": "it must be less than", "exclusiveMinimum": "it must be more than"}


def _num(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def _range(schema_: dict) -> str:
    """'from 32 to 65536' for a schema with bounds."""
    low = (f"more than {_num(schema_['exclusiveMinimum'])}" if "exclusiveMinimum" in schema_
           else f"from {_num(schema_['minimum'])}" if "minimum" in schema_ else "")
    high = _num(schema_["maximum"]) if "maximum" in schema_ else ""
    if low and high:
        return f"allowed: {low} to {high}" if low.startswith("from") else f"allowed: {low}, at most {high}"
    return f"allowed: {low}" if low else (f"allowed: at most {high}" if high else "")


def _is_expectation(error) -> bool:
    return error.schema.get("description", "").startswith(_FORMS)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
