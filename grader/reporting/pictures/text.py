"""A timeline for a terminal (``grade -v``): a row of block characters per client, the student's run
above the reference's at the same scale: ``░`` waiting for the first reply, ``█`` served (from that
reply on), ``✕`` where the test failed. A serial server draws a staircase, or one bar and clients left
waiting; a threaded one, bars that overlap. Under ``--stable`` each row is the client's events in order.
"""
from __future__ import annotations

from grader.results import TestResult
from grader.reporting.pictures import Drawing, wanted
from grader.reporting.pictures.lanes import RECEIVED, SENT, Lane, panels, served_line, span, timed
from grader.shown import shown

WIDTH = 56
NAME = 8
SYMBOLS = {SENT: "▸", RECEIVED: "●"}


def timeline_lines(test: TestResult) -> list[str]:
    """The lines to print under a failed test, nothing for a test without several clients."""
    if Drawing.TIMELINE not in wanted(test):
        return []
    shown_panels = panels(test)
    end = span(*(group for _, group, _ in shown_panels)) or 1.0
    with_times = timed(test.transcript)
    scale = f"0 s {'─' * (WIDTH - 10)} {end:.1f} s" if with_times else "each client's events in order (--stable)"
    lines = [f"timeline ({'░ waiting, █ served, ' if with_times else ''}✕ where it failed)",
             " " * (NAME + 1) + scale]
    for heading, group, metrics in shown_panels:
        lines.append(heading + (f": {served_line(metrics)}" if served_line(metrics) else ""))
        lines += [f"{shown(lane.client)[:NAME]:>{NAME}} {_row(lane, end, with_times)}" for lane in group]
    return lines


def _cell(at: float, end: float) -> int:
    return min(WIDTH - 1, int(at / end * (WIDTH - 1) + 0.5)) if end else 0


def _row(lane: Lane, end: float, with_times: bool) -> str:
    cells = [" "] * WIDTH
    if with_times:
        first, last = _cell(lane.start, end), _cell(lane.end, end)
        reply = lane.first_reply
        served_from = _cell(reply, end) if reply is not None else last + 1
        for i in range(first, last + 1):
            cells[i] = "█" if i >= served_from else "░"
    else:
        for mark in lane.marks:
            cells[_cell(mark.at, end)] = SYMBOLS.get(mark.event, "·")
    if lane.failed_at is not None:
        cells[min(WIDTH - 1, _cell(lane.failed_at, end) + (1 if with_times else 0))] = "✕"
    return "".join(cells).rstrip()
