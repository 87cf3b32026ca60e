"""Load YAML into plain Python data while remembering the line of every key.

``load_with_lines`` returns the data and a dict mapping a path tuple such as
``("tests", 3, "steps", 1, "expect")`` to the 1-based line where that key (or
list item) starts, so an error can point at the key itself.
"""
from __future__ import annotations

import yaml

from grader.spec.errors import SpecError

Path_ = tuple


def load_with_lines(text: str, source) -> tuple[object, dict[Path_, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(source, f"not valid YAML: {problem}",
                        line=mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    if node is None:
        raise SpecError(source, "the file is empty", line=1)
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    return _convert(node, (), lines, source), lines


def _convert(node, path: Path_, lines: dict, source):
    if isinstance(node, yaml.MappingNode):
        result = {}
        merged = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                merged += _merge_sources(value_node, source)
                continue
            key = _convert(key_node, path, {}, source)
            if isinstance(key, (list, dict)):
                raise SpecError(source, "a key must be a plain word", line=key_node.start_mark.line + 1)
            if key in result:
                raise SpecError(source, f"key '{key}' appears twice", path=format_path(path),
                                line=key_node.start_mark.line + 1)
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, path + (key,), lines, source)
        # `<<: *name` (YAML merge keys): the keys written here win, then the first source.
        for mapping in merged:
            for key_node, value_node in mapping.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = _convert(key_node, path, {}, source)
                if key not in result:
                    lines.setdefault(path + (key,), key_node.start_mark.line + 1)
                    result[key] = _convert(value_node, path + (key,), lines, source)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            items.append(_convert(item, path + (i,), lines, source))
        return items
    try:
        return yaml.SafeLoader.construct_object(_SCALAR_LOADER, node)
    except yaml.YAMLError as exc:
        raise SpecError(source, str(exc), path=format_path(path), line=node.start_mark.line + 1) from None


_SCALAR_LOADER = yaml.SafeLoader("")
MERGE_TAG = "tag:yaml.org,2002:merge"


def _merge_sources(node, source) -> list:
    """The mappings a merge key brings in: one alias, or a list of them."""
    sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for item in sources:
        if not isinstance(item, yaml.MappingNode):
            raise SpecError(source, "`<<:` must name a mapping, e.g. `<<: *defaults`",
                            line=item.start_mark.line + 1)
    # A merged mapping that itself merges another: flatten it the same way.
    flat = []
    for item in sources:
        flat.append(item)
        flat += [m for k, v in item.value if k.tag == MERGE_TAG for m in _merge_sources(v, source)]
    return flat


def format_path(path) -> str:
    """("tests", 3, "expect") -> 'tests[3].expect'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def line_of(lines: dict, path) -> int | None:
    """The line of the deepest known prefix of ``path``."""
    path = tuple(path)
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path)
