"""A sequence diagram of a conversation: the test-side clients and the server as columns, each message
an arrow with its text (a long one cut, its length said), the time on the left (under ``--stable``,
each event's number: the results carry no times), and the first difference from what was expected
marked where it happened: what was expected, and what came instead, or nothing and how long the
grader waited.
"""
from __future__ import annotations

import drawsvg as draw

from grader.results import Difference, TestResult
from grader.reporting.pictures import style
from grader.reporting.pictures.lanes import CLOSED, CONNECTED, RECEIVED, SENT, SERVER, columns, timed
from grader.shown import shown

TIME, COLUMN, HEAD, ROW = 78, 170, 44, 26
MOST_ROWS = 80            # a longer conversation shows its last rows: a failed one ends where it failed
PROGRAM = "client program"   # its notes go to the column of its connection


def svg(test: TestResult, title: str, prefix: str) -> str:
    entries = list(test.transcript)
    if timed(entries):        # a swarm's clients keep their own records, joined one after another
        entries.sort(key=lambda e: e["t"])
    names = columns(entries)
    x = {name: TIME + 60 + COLUMN * i for i, name in enumerate(names)}
    rows, left_out = _rows(entries, test.difference)
    width = x[SERVER] + 330
    height = HEAD + ROW * (len(rows) + 2) + (ROW if left_out else 0) + 20
    summary = _summary(test.difference)
    picture = style.drawing(width, height, title, prefix, summary)
    picture.append_def(_arrowhead(f"{prefix}-arrow", style.INK))
    picture.append_def(_arrowhead(f"{prefix}-wrong", style.WRONG))
    for name in names:
        _column(picture, name, x[name], height)
    y = HEAD + ROW
    if left_out:
        picture.append(draw.Text(f"… {left_out} earlier events not shown", 11, 10, y, fill=style.MUTED))
        y += ROW
    with_times = timed(entries)
    for number, entry in rows:
        if entry is None:
            y += ROW / 2
            _difference(picture, test.difference, x, y, prefix)
            y += ROW / 2
        else:
            when = f"{entry['t']:.3f} s" if with_times else f"#{number}"
            picture.append(draw.Text(when, 11, 10, y + 4, fill=style.MUTED, font_family=style.MONO))
            _entry(picture, entry, x, y, prefix)
        y += ROW
    return style.svg_text(picture)


def _rows(entries: list[dict], difference: Difference | None) -> tuple[list, int]:
    """(number, entry) in order, the difference as (None, None) after its client's ``after``-th entry;
    the last MOST_ROWS of them, and how many were left out."""
    rows, seen = [], 0
    placed = difference is None
    if difference is not None and difference.after == 0:
        rows.append((None, None))
        placed = True
    for number, entry in enumerate(entries, 1):
        rows.append((number, entry))
        if not placed and entry.get("who") == difference.client:
            seen += 1
            if seen == difference.after:
                rows.append((None, None))
                placed = True
    if not placed:
        rows.append((None, None))
    return rows[-MOST_ROWS:], max(0, len(rows) - MOST_ROWS)


def _summary(difference: Difference | None) -> str:
    if difference is None:
        return ""
    return f"{difference.client} expected {difference.expected}; {instead(difference)}"


def instead(difference: Difference) -> str:
    """What came instead of the expected message, in words."""
    if difference.got is not None:
        return f"got {style.cut(repr(difference.got), 60)}"
    if difference.waited is not None:
        return f"nothing came (waited {difference.waited:g} s)"
    return f"nothing came: {difference.ended or 'the wait ended'}"


def _arrowhead(name: str, colour: str) -> draw.Marker:
    head = draw.Marker(-1, -0.5, 0.2, 0.5, scale=8, orient="auto", id=name)
    head.append(draw.Lines(-1, -0.5, 0, 0, -1, 0.5, close=True, fill=colour))
    return head


def _column(picture, name: str, x: float, height: float) -> None:
    label = style.cut(name, 18)
    width = max(60, 8 * len(label) + 16)
    picture.append(draw.Rectangle(x - width / 2, 8, width, 24, rx=4, fill="#eef2f6", stroke=style.INK,
                                  stroke_width=1))
    picture.append(draw.Text(label, 12, x, 24, text_anchor="middle", fill=style.INK, font_family=style.MONO,
                             font_weight="bold" if name == SERVER else "normal"))
    picture.append(draw.Line(x, 32, x, height - 10, stroke=style.GRID, stroke_width=1.5, stroke_dasharray="3 3"))


def _entry(picture, entry: dict, x: dict, y: float, prefix: str) -> None:
    speaker, event, data = entry.get("who", ""), entry.get("event", ""), entry.get("data", "")
    clients = [name for name in x if name != SERVER]
    if speaker == SERVER and event == SENT and len(clients) == 1:
        speaker, event = clients[0], RECEIVED        # the relay's record: what the server sent its one client
    own = x.get(speaker, x[SERVER])
    if speaker == PROGRAM and len(clients) == 1:
        own = x[clients[0]]
    if speaker not in x or speaker == SERVER or event not in (SENT, RECEIVED, CONNECTED):
        # A note, a close, or what the relay or the server side said: words at the column it concerns.
        italic = "normal" if event == CLOSED else "italic"
        words = ("closed: " if event == CLOSED else "") + style.cut(data or event, 44)
        picture.append(draw.Line(own - 6, y, own + 6, y, stroke=style.INK, stroke_width=2) if event == CLOSED
                       else draw.Circle(own, y, 3, fill=style.MUTED))
        picture.append(draw.Text(words, 11, own + 10, y + 4, fill=style.MUTED, font_style=italic,
                                 class_=event))
        return
    start, end = (own, x[SERVER]) if event in (SENT, CONNECTED) else (x[SERVER], own)
    line = draw.Line(start, y, end + (-8 if end > start else 8), y, stroke=style.INK, stroke_width=1.4,
                     marker_end=f"url(#{prefix}-arrow)", class_=event,
                     stroke_dasharray="4 3" if event == CONNECTED else None)
    picture.append(line)
    label = "connect" if event == CONNECTED else style.cut(data)
    picture.append(draw.Text(label, 11, (start + end) / 2, y - 5, text_anchor="middle", fill=style.INK,
                             font_family=style.MONO, class_=f"{event}-text"))


def _difference(picture, difference: Difference, x: dict, y: float, prefix: str) -> None:
    """Where the conversation went wrong: a dashed box, a cross and the two sides, in words."""
    client = x.get(difference.client, x[SERVER])
    mark = draw.Group(class_="difference", data_client=shown(difference.client))
    left, right = min(client, x[SERVER]) - 20, max(client, x[SERVER]) + 320
    mark.append(draw.Rectangle(left, y - ROW / 2 - 6, right - left, ROW + 10, fill="#fff4ec", stroke=style.WRONG,
                               stroke_width=1.5, stroke_dasharray="6 3"))
    if difference.got is not None:
        mark.append(draw.Line(x[SERVER], y + 2, client + 8, y + 2, stroke=style.WRONG, stroke_width=1.6,
                              marker_end=f"url(#{prefix}-wrong)"))
    mark.append(style.cross(client, y + 2))
    mark.append(draw.Text(f"expected {style.cut(difference.expected, 60)}", 11, left + 32, y - 8,
                          fill=style.INK, font_family=style.MONO, class_="expected"))
    mark.append(draw.Text(instead(difference), 11, left + 32, y + 12, fill=style.WRONG, font_family=style.MONO,
                          font_weight="bold", class_="instead"))
    picture.append(mark)
