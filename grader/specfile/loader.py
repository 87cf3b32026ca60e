"""Read a spec file: YAML with line marks -> schema validation (``schema``, errors explained by
``explain``) -> model objects (``build``)."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from grader.specfile.build import build_spec
from grader.spec.errors import SpecError
from grader.specfile.explain import most_useful, spec_error
from grader.spec.model import Spec
from grader.specfile.schema import validator
from grader.spec.yaml_marks import MAX_FILE_BYTES, load_with_lines, too_large
from grader.textfile import YAML_REFUSES, NotText, decoded


def read_spec_text(path: Path) -> str:
    """The text of a spec file, reading at most ``MAX_FILE_BYTES`` (+1) of it whatever it is."""
    try:
        # O_NONBLOCK: a FIFO nobody writes to must not block open(); reads then block as usual.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb", closefd=True) as f:
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SpecError(path, f"cannot read the spec: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise too_large(path, data)
    try:
        text = decoded(data, YAML_REFUSES, "YAML")
    except NotText as exc:
        raise SpecError(path, f"cannot read the spec as text: {exc}", line=exc.line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")     # as text mode reads it


def load_spec(path: str | Path) -> Spec:
    path = Path(path)
    text = read_spec_text(path)
    data, lines = load_with_lines(text, path)
    validate(data, lines, path)
    return build_spec(data, lines, path)


def find_errors(path: str | Path) -> list[SpecError]:
    """Every schema error of a spec file, or else the first error found while building it."""
    path = Path(path)
    try:
        data, lines = load_with_lines(read_spec_text(path), path)
    except SpecError as exc:
        return [exc]
    found, seen = [], set()
    for error in validator().iter_errors(data):
        explained = spec_error(most_useful([error]), lines, path)
        if (explained.path, explained.message) not in seen:
            seen.add((explained.path, explained.message))
            found.append(explained)
    if found:
        return sorted(found, key=lambda e: e.line or 0)
    try:
        build_spec(data, lines, path)
    except SpecError as exc:
        return [exc]
    return []


def validate(data, lines: dict, source) -> None:
    errors = list(validator().iter_errors(data))
    if errors:
        raise spec_error(most_useful(errors), lines, source)
