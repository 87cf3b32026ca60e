"""Load YAML into plain Python data while remembering the line of every key.

``load_with_lines`` returns the data and a dict mapping a path tuple such as
``("tests", 3, "steps", 1, "expect")`` to the 1-based line where that key (or
list item) starts, so an error can point at the key itself.

A spec may come from anywhere (``grade check`` of a file found on the web), so
loading it is bounded: the text is at most ``MAX_FILE_BYTES``, the YAML nests at
most ``MAX_DEPTH`` levels and holds at most ``MAX_NODES`` values and
``MAX_TEXT_CHARS`` characters of text *with its aliases expanded* (counted on the
composed node graph, never by expanding it), and an alias inside its own anchor
(a structure that never ends) is refused where it is written. Each of these is
one ``SpecError`` with a line, not a ``MemoryError`` or ``RecursionError``.
"""
from __future__ import annotations

import math

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from grader.spec.errors import SpecError

Path_ = tuple

MAX_FILE_BYTES = 1 << 20            # 1 MiB: the shipped specs are a few kilobytes
MAX_DEPTH = 64                      # levels of nesting, aliases expanded; a spec uses about 10
MAX_NODES = 100_000                 # values (keys, items, scalars), aliases expanded
MAX_TEXT_CHARS = 4 << 20            # characters of text, aliases expanded
MAX_NUMBER_CHARS = 100              # a number written with more characters than this is refused

MERGE_TAG = "tag:yaml.org,2002:merge"
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")

_BOMB_HINT = ("each alias (*name) stands for its anchor's whole structure, and aliases of aliases "
              "multiply: write the values out, or reuse steps with `step_lists` and `use:`")


def load_with_lines(text: str, source) -> tuple[object, dict[Path_, int]]:
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise too_large(source, text[:MAX_FILE_BYTES + 1].encode("utf-8", "replace"))
    node = _compose(text, source)
    if node is None:
        raise SpecError(source, "the file is empty", line=1)
    _check_expansion(node, source)
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    return _convert(node, (), lines, source), lines


def _compose(text: str, source):
    """The node graph of the document (None if empty), bounded by ``_BoundedComposer``."""
    for loader_class in dict.fromkeys((_Loader, _PurePythonLoader)):
        loader = loader_class(text, source)
        try:
            return loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            if "nesting depth" in problem:      # libyaml's own limit, met before ours by its look-ahead
                raise _too_deep(source, loader.where, mark.line + 1 if mark else None) from None
            if loader_class is _PurePythonLoader:
                raise SpecError(source, f"not valid YAML: {problem}",
                                line=mark.line + 1 if mark else None) from None
            # libyaml's messages say less ("found character that cannot start any token"):
            # read it again with PyYAML's parser to say what PyYAML says.
        finally:
            loader.dispose()


def too_large(source, data: bytes) -> SpecError:
    """The error for a spec file longer than ``MAX_FILE_BYTES``, at the line where the limit falls."""
    line = data[:MAX_FILE_BYTES].count(b"\n") + 1
    return SpecError(source, f"the spec is larger than {MAX_FILE_BYTES // (1 << 20)} MiB "
                             f"(the limit falls on this line)", line=line,
                     hint="a spec is a few kilobytes of YAML; is this the right file?")


# -- composing: YAML events -> a graph of nodes, bounded -------------------------------------------
class _BoundedComposer(yaml.composer.Composer):
    """PyYAML's composer, refusing what no spec needs before it can cost time or memory:
    nesting deeper than ``MAX_DEPTH`` (PyYAML composes recursively), more than ``MAX_NODES``
    nodes, and an alias to an anchor whose structure is not finished (a loop)."""

    def __init__(self, source):
        super().__init__()
        self._source = source
        self._count = 0
        self._paths: list[tuple] = []           # the key path of each node being composed
        self._open: list[str | None] = []        # their anchors
        self.where: tuple = ()                   # the path of the last node begun

    def compose_node(self, parent, index):
        event = self.peek_event()
        path = self._paths[-1] if self._paths else ()
        if isinstance(index, int):
            path = path + (index,)
        elif index is not None:
            path = path + (_key_name(index),)
        line = event.start_mark.line + 1
        self.where = path
        if isinstance(event, AliasEvent):
            if event.anchor in self._open:
                raise SpecError(self._source, f"the alias *{event.anchor} is inside its own anchor "
                                              f"&{event.anchor}, so its structure would never end",
                                path=_brief(path), line=line,
                                hint="an alias can only name an anchor whose structure ends before it; "
                                     "a mapping cannot merge itself (`<<:`), even through another")
            return super().compose_node(parent, index)
        self._count += 1
        if self._count > MAX_NODES:
            raise SpecError(self._source, f"the spec has more than {MAX_NODES} values",
                            path=_brief(path), line=line, hint="a spec is a few hundred values")
        if len(self._paths) >= MAX_DEPTH:
            raise _too_deep(self._source, path, line)
        self._paths.append(path)
        self._open.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._paths.pop()
            self._open.pop()


class _PurePythonLoader(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, _BoundedComposer,
                        yaml.resolver.Resolver):
    """PyYAML's own parser under the bounded composer (where libyaml is missing, and in the tests)."""

    def __init__(self, text, source):
        yaml.reader.Reader.__init__(self, text)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        _BoundedComposer.__init__(self, source)
        yaml.resolver.Resolver.__init__(self)


def _too_deep(source, path, line) -> SpecError:
    return SpecError(source, f"the YAML nests more than {MAX_DEPTH} levels deep", path=_brief(path), line=line,
                     hint="a spec needs about 10 levels; look for brackets [ { that never close")


def _brief(path) -> str:
    """A key path, its middle left out when it is very deep."""
    if len(path) <= 12:
        return format_path(path)
    return format_path(path[:6]) + f"...({len(path) - 8} more levels)..." + format_path(path[-2:]).lstrip(".")


def _make_loader():
    """libyaml's parser (events only: composing stays ours) when PyYAML has it: six times faster.
    Either way plain scalars are resolved by SafeLoader's resolver, so they get the same types."""
    try:
        from yaml._yaml import CParser
    except ImportError:
        return _PurePythonLoader

    class FastLoader(_BoundedComposer, yaml.resolver.Resolver, CParser):
        def __init__(self, text, source):
            CParser.__init__(self, text)
            _BoundedComposer.__init__(self, source)
            yaml.resolver.Resolver.__init__(self)
    return FastLoader


_Loader = _make_loader()


# -- measuring the node graph as if its aliases were expanded ---------------------------------------
def _check_expansion(root, source) -> None:
    """Count the values, characters and depth the data will have once every alias is expanded,
    on the node graph (each node once, without recursion), and refuse a spec above the limits
    at the first node whose expansion crosses one of them."""
    totals: dict[int, tuple[int, int, int]] = {}        # id(node) -> (values, characters, depth)
    on_stack: set[int] = set()

    def push(node, path):
        on_stack.add(id(node))
        stack.append([node, path, _children(node, path), 1, 0, 0])

    stack: list[list] = []
    push(root, ())
    while stack:
        frame = stack[-1]
        node, children = frame[0], frame[2]
        for child, child_path in children:
            known = totals.get(id(child))
            if known is None and isinstance(child, ScalarNode):
                known = totals[id(child)] = (1, len(child.value), 1)
            if known is None:
                if id(child) in on_stack:            # the composer refuses loops; never recurse into one
                    raise SpecError(source, "an alias is inside its own anchor, so its structure would "
                                            "never end", path=_brief(child_path),
                                    line=child.start_mark.line + 1)
                push(child, child_path)
                break
            _add(frame, known, source)
        else:
            stack.pop()
            on_stack.discard(id(node))
            done = (frame[3], frame[4], frame[5] + 1)
            if done[2] > MAX_DEPTH:
                _too_much(source, frame, f"nests more than {MAX_DEPTH} levels deep")
            totals[id(node)] = done
            if stack:
                _add(stack[-1], done, source)


def _add(frame, child_totals, source) -> None:
    frame[3] += child_totals[0]
    frame[4] += child_totals[1]
    frame[5] = max(frame[5], child_totals[2])
    if frame[3] > MAX_NODES:
        _too_much(source, frame, f"has more than {MAX_NODES} values")
    if frame[4] > MAX_TEXT_CHARS:
        _too_much(source, frame, f"has more than {MAX_TEXT_CHARS // (1 << 20)} MiB of text")
    if frame[5] + 1 > MAX_DEPTH:
        _too_much(source, frame, f"nests more than {MAX_DEPTH} levels deep")


def _too_much(source, frame, what: str):
    node, path = frame[0], frame[1]
    raise SpecError(source, f"with its aliases expanded, the YAML here {what}",
                    path=_brief(path), line=node.start_mark.line + 1, hint=_BOMB_HINT)


def _children(node, path):
    """Each node a collection holds, with the key path its value lands at."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key, path
            yield value, path if key.tag == MERGE_TAG else path + (_key_name(key),)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            yield item, path + (i,)


def _key_name(key_node):
    return key_node.value if isinstance(key_node, ScalarNode) else "?"


# -- converting: nodes -> plain data with line marks -----------------------------------------------
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
    return _scalar(node, path, source)


def _scalar(node, path: Path_, source):
    line = node.start_mark.line + 1
    if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
        raise SpecError(source, f"a number of {len(node.value)} characters", path=format_path(path),
                        line=line, hint="no number in a spec needs that many digits; "
                                        "text that looks like a number goes in quotes")
    try:
        value = yaml.SafeLoader.construct_object(_SCALAR_LOADER, node)
    except yaml.YAMLError as exc:        # e.g. an unknown tag: !!python/object
        raise SpecError(source, getattr(exc, "problem", None) or str(exc), path=format_path(path),
                        line=line) from None
    except (ValueError, OverflowError) as exc:
        raise SpecError(source, f"{_short(node.value)} cannot be read: {exc}", path=format_path(path),
                        line=line) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(source, f"{node.value} is not a finite number", path=format_path(path), line=line,
                        hint="every number in a spec is finite: .inf and .nan are not allowed")
    return value


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


_SCALAR_LOADER = yaml.SafeLoader("")


def _merge_sources(node, source) -> list:
    """The mappings a merge key brings in: one alias, or a list of them."""
    sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
    for item in sources:
        if not isinstance(item, yaml.MappingNode):
            raise SpecError(source, "`<<:` must name a mapping, e.g. `<<: *defaults`",
                            line=item.start_mark.line + 1)
    # A merged mapping that itself merges another: flatten it the same way. The composer refused
    # loops and _check_expansion bounded the depth, so this recursion ends, and soon.
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
