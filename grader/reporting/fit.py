"""Text that fits a terminal's width without cutting a word.

Widths are terminal cells (``rich.cells``): a Chinese character takes two. A line is broken at
spaces or between two wide characters (Chinese text has no spaces, and may break
between any two of its characters); only a run of narrow characters longer than the whole width
(a path, a URL) is ever folded, since it fits nowhere.
"""
from __future__ import annotations

import re

from rich.cells import cell_len

ELLIPSIS = "…"
_RUNS = re.compile(r"\s+|\S+")


def _pieces(text: str) -> list[str]:
    """What stays whole: a run of spaces, a wide character alone, a run of narrow ones (an id such
    as tcp-contacts-threaded is one word: no break at its hyphens)."""
    pieces = []
    for run in _RUNS.findall(text):
        if run.isspace() or cell_len(run) == len(run):
            pieces.append(run)
            continue
        narrow = ""
        for ch in run:
            if cell_len(ch) > 1:
                pieces += [narrow, ch] if narrow else [ch]
                narrow = ""
            else:
                narrow += ch
        if narrow:
            pieces.append(narrow)
    return pieces


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken only where a word may break."""
    width = max(1, width)
    lines, line = [], ""
    for piece in _pieces(text):
        if piece.isspace():
            if line:
                line += " "
            continue
        if cell_len(line + piece) <= width:          # line holds the space before piece, if any
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = ""
        while cell_len(piece) > width:           # longer than a whole line: nowhere to keep it whole
            cut = _fit(piece, width)
            lines.append(piece[:cut])
            piece = piece[cut:]
        line = piece
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def shorten(text: str, width: int) -> str:
    """``text`` on one line of at most ``width`` cells: the words that fit, then ``…`` when some did not."""
    if cell_len(text) <= width:
        return text
    kept = ""
    for piece in _pieces(text):
        if cell_len((kept + piece).rstrip(" ,;:")) + 2 > width:      # room for " …" after it
            break
        kept += piece
    kept = kept.rstrip(" ,;:")
    return f"{kept} {ELLIPSIS}" if kept else ELLIPSIS


def longest_word(text: str) -> int:
    """The cells of the widest piece of ``text`` that may not be broken."""
    return max((cell_len(p) for p in _pieces(text) if not p.isspace()), default=0)


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - cell_len(text))
    return gap + text if right else text + gap


def _fit(piece: str, width: int) -> int:
    """How many characters of ``piece`` fill at most ``width`` cells (at least one)."""
    used = 0
    for i, ch in enumerate(piece):
        used += cell_len(ch)
        if used > width:
            return max(1, i)
    return len(piece)


def column_keys(ids: list[str]) -> dict[str, str]:
    """A short key per assignment id for a narrow table's header: its words' initials (``tcp-echo-
    threaded`` is ``tet``), made unique with a digit; the table explains them once below."""
    keys: dict[str, str] = {}
    for ident in ids:
        words = [w for w in re.split(r"[-_.\s]+", ident) if w]
        key = "".join(w[0] for w in words)[:4].lower() or "a"
        if len(words) == 1:
            key = words[0][:3].lower()
        base, n = key, 2
        while key in keys.values():
            key, n = f"{base}{n}", n + 1
        keys[ident] = key
    return keys


def with_keys(text: str, keys: dict[str, str]) -> str:
    """``text`` with each assignment id written as its key (the longest ids first)."""
    for ident in sorted(keys, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(ident)}(?![\w-])", keys[ident], text)
    return text


def columns(table, width: int) -> bool:
    """Give ``table``'s columns widths that fit ``width`` cells with every word whole (rich alone
    would fold a word to fit); False when even its longest words do not fit side by side."""
    n = len(table.columns)
    if not n:
        return True
    edges = (3 * n + 1) if table.box else (2 * n)
    natural = [max((_widest_line(c) for c in [col.header, *col.cells]), default=0) for col in table.columns]
    least = [natural[i] if col.no_wrap else max((longest_word(_plain(c)) for c in [col.header, *col.cells]), default=0)
             for i, col in enumerate(table.columns)]
    room = width - edges
    if sum(natural) <= room:
        return True
    if sum(least) > room:
        return False
    # Each column its share of the room by its natural width (up to half the room), never below its
    # longest word nor past its natural width; what a capped column leaves goes to the others.
    widths, open_ = list(least), [i for i in range(n) if natural[i] > least[i]]
    while open_ and sum(widths) < room:
        weight = {i: min(natural[i], room // 2) for i in open_}     # one very long column takes no more
        spare, total = room - sum(widths), sum(weight.values())
        grown = False
        for i in open_:
            more = min(natural[i] - widths[i], max(1, spare * weight[i] // total))
            if more > 0 and sum(widths) + more <= room:
                widths[i] += more
                grown = True
        open_ = [i for i in open_ if widths[i] < natural[i]]
        if not grown:
            break
    for col, w in zip(table.columns, widths):
        col.width = w
    return True


def _plain(cell) -> str:
    return cell.plain if hasattr(cell, "plain") else str(cell)


def _widest_line(cell) -> int:
    return max((cell_len(line) for line in _plain(cell).split("\n")), default=0)
