"""Pictures that explain a failed test, drawn from its result alone (every reporter reads the same one):
a timeline of its clients (``timeline``), one lane per client on a shared time axis, the reference's
run beside it at the same scale; a sequence diagram of its conversation (``sequence``), the first
difference from what was expected marked. Both are self-contained SVG (no script, no link), drawn with
drawsvg, which escapes every text and attribute; ``text`` draws a timeline with block characters for a
terminal. What a student controls is ``shown`` as well.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from grader.results import Status, TestResult, clients_of
from grader.reporting.pictures.lanes import columns

MOST_COLUMNS = 4          # a sequence diagram of more clients than this is too wide to read: a timeline says it


class Drawing(Enum):
    TIMELINE = "timeline"
    SEQUENCE = "sequence"


@dataclass(frozen=True)
class Picture:
    drawing: Drawing
    title: str            # what it shows, for screen readers and as the link's text
    svg: str              # as a file holds it

    @property
    def inline(self) -> str:
        """The SVG without its XML declaration, to put inside an HTML page."""
        return self.svg.split("\n", 1)[1] if self.svg.startswith("<?xml") else self.svg


def wanted(test: TestResult) -> list[Drawing]:
    """The pictures that explain ``test``: a timeline for several clients, a sequence diagram for a
    conversation of a few; nothing for a test that passed or had no conversation."""
    talked = any(e.get("event") in ("sent", "received") for e in test.transcript)
    if test.status is not Status.FAILED or test.hidden or not talked:
        return []
    talking = len(columns(test.transcript)) - 1
    return ([Drawing.TIMELINE] if len(clients_of(test.transcript)) > 1 else []) + \
        ([Drawing.SEQUENCE] if 0 < talking <= MOST_COLUMNS else [])


def pictures(test: TestResult, prefix: str = "p") -> list[Picture]:
    """``prefix``: makes the ids inside each picture unique in a page that holds several."""
    from grader.reporting.pictures import sequence, timeline     # drawsvg, only where a picture is drawn
    drawn = []
    for drawing in wanted(test):
        own = f"{prefix}{drawing.value[0]}"
        if drawing is Drawing.TIMELINE:
            title = f"timeline: {test.name}"
            drawn.append(Picture(drawing, title, timeline.svg(test, title, own)))
        else:
            title = f"sequence: {test.name}"
            drawn.append(Picture(drawing, title, sequence.svg(test, title, own)))
    return drawn
