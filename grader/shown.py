"""Strings a student controls, as every output shows them: never obeyed.

Names of students, folders and files, what programs print and the reasons quoting any of
them reach terminals, spreadsheets, XML and Markdown. A character that would act there
instead of being seen (ESC starting a terminal sequence, a newline splitting a table row,
a bidi override reordering the text) is written visibly, as Python writes it in a string:
``\\x1b``, ``\\n``, ``\\u202e``. Every reporter applies ``shown`` to what it writes; the
results themselves keep the real strings, and the JSON outputs too, with every such
character as a JSON escape (``json_shown``).

A name read from the disk is text, and ``name_text`` makes it so: bytes that are no UTF-8
(kept by Python as lone surrogates, which no UTF-8 file can hold) are written ``\\xff``,
as a program's output is decoded.
"""
from __future__ import annotations

import json
import os
import re

# Past C0 (ESC, BEL, CR, LF, TAB ...): DEL and the C1 controls (U+009B is a CSI of its own); the line and
# paragraph separators (str.splitlines splits there); bidi embeddings, overrides and isolates; lone surrogates.
_PAST_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_ACTING = re.compile(f"[\x00-\x1f{_PAST_C0}]")
_ACTING_BUT_LINES = re.compile(f"[\x00-\x08\x0b-\x1f{_PAST_C0}]")
_JSON_LEAVES = re.compile(f"[{_PAST_C0}]")           # json.dumps escapes C0 itself


def shown(text, lines: bool = False) -> str:
    """``text`` with every character that acts written visibly; ``lines``: newlines and tabs kept, for
    text of several lines (a program's output, a conversation) shown where they are safe."""
    return (_ACTING_BUT_LINES if lines else _ACTING).sub(_visible, str(text))


def _visible(match: re.Match) -> str:
    code = ord(match.group(0))
    if 0xdc80 <= code <= 0xdcff:         # a byte that was no UTF-8, kept by surrogateescape
        return f"\\x{code - 0xdc00:02x}"
    return match.group(0).encode("unicode_escape").decode("ascii")


def json_shown(data, **dumps) -> str:
    """``json.dumps(data, ensure_ascii=False, **dumps)`` with every character that acts as a ``\\uXXXX``
    escape: the same data, and a file that shows them when printed."""
    text = json.dumps(data, ensure_ascii=False, **dumps)
    return _JSON_LEAVES.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def name_text(name: str) -> str:
    """A file or folder name as text: bytes that are no UTF-8 written ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")
