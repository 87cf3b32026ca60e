"""A timeline of a test of several clients: one lane per client on a shared time axis, the student's
run above the reference's at the same scale.

A lane is a thin line while the client is there, a dashed orange line while it waits for its first
reply, a solid blue bar from that reply on (being served: the swarm counts a client served from its
reply while its connection is open), and a mark per event (shapes in ``LEGEND``). A serial server
draws a staircase of bars, or one bar and clients left waiting; a threaded one, bars that overlap.
Each panel says the figure the verdict used: the most clients served at once.
"""
from __future__ import annotations

import math

import drawsvg as draw

from grader.results import TestResult
from grader.reporting.pictures import style
from grader.reporting.pictures.lanes import CLOSED, CONNECTED, NOTE, RECEIVED, SENT, Lane, panels, served_line, span, timed
from grader.shown import shown

WIDTH, LEFT, RIGHT = 760, 92, 24
LANE, HEAD, AXIS = 22, 34, 30
LEGEND = [("connected", CONNECTED), ("sent", SENT), ("reply received", RECEIVED), ("closed", CLOSED),
          ("note", NOTE)]


def svg(test: TestResult, title: str, prefix: str) -> str:
    shown_panels = panels(test)
    with_times = timed(test.transcript)
    end = span(*(group for _, group, _ in shown_panels)) or 1.0
    heights = [HEAD + LANE * len(group) + AXIS for _, group, _ in shown_panels]
    height = sum(heights) + 56
    summary = "; ".join(f"{heading}: {served_line(metrics) or f'{len(group)} clients'}"
                        for heading, group, metrics in shown_panels)
    picture = style.drawing(WIDTH, height, title, prefix, summary)
    top = 0.0
    for (heading, group, metrics), panel_height in zip(shown_panels, heights):
        _panel(picture, heading, group, metrics, top, end, with_times)
        top += panel_height
    _legend(picture, top + 8, with_times)
    return style.svg_text(picture)


def x_of(at: float, end: float) -> float:
    return LEFT + (WIDTH - LEFT - RIGHT) * (at / end if end else 0.0)


def _panel(picture, heading: str, group: list[Lane], metrics: dict, top: float, end: float,
           with_times: bool) -> None:
    verdict = served_line(metrics)
    panel = draw.Group(class_="panel", data_panel=heading)
    panel.append(draw.Text(heading, 14, 10, top + 20, font_weight="bold", fill=style.INK))
    if verdict:
        panel.append(draw.Text(verdict, 13, WIDTH - RIGHT, top + 20, text_anchor="end", fill=style.INK,
                               class_="verdict"))
    bottom = top + HEAD + LANE * len(group)
    _axis(panel, top + HEAD - 4, bottom, end, with_times)
    for row, lane in enumerate(group):
        _lane(panel, lane, top + HEAD + LANE * row + LANE / 2, end, with_times)
    picture.append(panel)


def _axis(panel, top: float, bottom: float, end: float, with_times: bool) -> None:
    if not with_times:
        panel.append(draw.Text("each client's events in order (--stable leaves the times out)", 11, LEFT,
                               bottom + 16, fill=style.MUTED))
        return
    step = _tick(end)
    for i in range(int(end / step + 1e-9) + 1):
        x = x_of(i * step, end)
        panel.append(draw.Line(x, top, x, bottom, stroke=style.GRID, stroke_width=1))
        panel.append(draw.Text(f"{i * step:g} s", 11, x, bottom + 14, text_anchor="middle", fill=style.MUTED))


def _tick(end: float) -> float:
    """A round step giving about six ticks."""
    raw = end / 6
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _lane(panel, lane: Lane, y: float, end: float, with_times: bool) -> None:
    group = draw.Group(class_="lane", data_client=shown(lane.client))
    group.append(draw.Text(style.cut(lane.client, 12), 12, LEFT - 10, y + 4, text_anchor="end", fill=style.INK,
                           font_family=style.MONO))
    start, finish = x_of(lane.start, end), x_of(lane.end, end)
    group.append(draw.Line(start, y, finish, y, stroke=style.MUTED, stroke_width=1))
    reply = lane.first_reply
    if with_times:
        waited_until = x_of(reply, end) if reply is not None else finish
        if waited_until > start:
            group.append(draw.Line(start, y, waited_until, y, stroke=style.WAITING, stroke_width=4,
                                   stroke_dasharray="5 3", class_="waiting"))
        if reply is not None:
            left = x_of(reply, end)
            group.append(draw.Rectangle(left, y - 6, max(finish - left, 3.0), 12, fill=style.SERVED,
                                        stroke=style.INK, stroke_width=0.6, class_="served",
                                        data_from=f"{reply:g}", data_to=f"{lane.end:g}"))
    for mark in lane.marks:
        group.append(_mark(mark.event, x_of(mark.at, end), y, mark.text))
    if lane.failed_at is not None:
        group.append(style.cross(x_of(lane.failed_at, end) + (6 if with_times else 0), y, class_="difference"))
    panel.append(group)


def _mark(event: str, x: float, y: float, text: str):
    """An event's shape (its words as a tooltip): hollow circle, triangle, filled circle, bar, diamond."""
    if event == CONNECTED:
        shape = draw.Circle(x, y, 4, fill="#ffffff", stroke=style.INK, stroke_width=1.3)
    elif event == SENT:
        shape = draw.Lines(x - 4, y - 5, x + 5, y, x - 4, y + 5, close=True, fill=style.INK)
    elif event == RECEIVED:
        shape = draw.Circle(x, y, 4, fill=style.INK, stroke="#ffffff", stroke_width=1)
    elif event == CLOSED:
        shape = draw.Line(x, y - 8, x, y + 8, stroke=style.INK, stroke_width=2)
    else:
        shape = draw.Lines(x, y - 5, x + 5, y, x, y + 5, x - 5, y, close=True, fill=style.MUTED)
    shape.append_title(f"{event}: {style.cut(text, 80)}")
    return shape


def _legend(picture, top: float, with_times: bool) -> None:
    x = 10.0
    y = top + 14
    for words, event in LEGEND:
        picture.append(_mark(event, x + 5, y - 4, words))
        picture.append(draw.Text(words, 11, x + 14, y, fill=style.INK))
        x += 24 + 6.5 * len(words)
    if with_times:
        picture.append(draw.Line(x, y - 4, x + 22, y - 4, stroke=style.WAITING, stroke_width=4, stroke_dasharray="5 3"))
        picture.append(draw.Text("waiting", 11, x + 28, y, fill=style.INK))
        x += 28 + 6.5 * 7 + 12
        picture.append(draw.Rectangle(x, y - 10, 22, 12, fill=style.SERVED, stroke=style.INK, stroke_width=0.6))
        picture.append(draw.Text("served", 11, x + 28, y, fill=style.INK))
        x += 28 + 6.5 * 6 + 12
    picture.append(style.cross(x + 5, y - 4, 4))
    picture.append(draw.Text("where the test failed", 11, x + 14, y, fill=style.INK))
