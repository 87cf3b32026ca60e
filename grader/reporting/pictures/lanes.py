"""A transcript as lanes, one per test-side client: the events each client saw, on one time axis; a
timeline's panels (the student's run, the reference's) and the verdict's figure each states.

Times are the transcript's (seconds since the test started). Under ``--stable`` the results carry no
times, so each event sits at its place in its own client's order instead (``timed`` False): a
picture then shows what each client saw, in order, and no overlap between clients, which only the
times could show.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.results import Difference, TestResult, clients_of

SENT, RECEIVED, CONNECTED, CLOSED, NOTE = "sent", "received", "connected", "closed", "note"


@dataclass(frozen=True)
class Mark:
    at: float          # seconds since the test started, or the event's place in its lane (untimed)
    event: str         # sent | received | connected | closed | note, as the transcript says
    text: str


@dataclass(frozen=True)
class Lane:
    client: str
    marks: tuple[Mark, ...]
    failed_at: float | None = None    # where the test's first difference is, if in this lane

    @property
    def start(self) -> float:
        return self.marks[0].at if self.marks else 0.0

    @property
    def end(self) -> float:
        return max([m.at for m in self.marks] + [self.failed_at or 0.0], default=0.0)

    @property
    def first_reply(self) -> float | None:
        """When its first reply came: it waited before that and was being served from then on."""
        return next((m.at for m in self.marks if m.event == RECEIVED), None)


# A client program's side of the conversation: as the relay between it and the server records it, or as
# the packet capture does when it talks to the student's own server (the pairings).
PROGRAMS = ("client", "client program")
SERVER = "server"


def columns(entries: list[dict]) -> list[str]:
    """A sequence diagram's columns: the test-side clients, a client program that talked, the server last."""
    talked = [name for name in PROGRAMS if any(e.get("who") == name and e.get("event") != NOTE for e in entries)]
    return clients_of(entries) + talked[:1] + [SERVER]


def timed(entries: list[dict]) -> bool:
    return bool(entries) and all(e.get("t") is not None for e in entries)


def lanes(entries: list[dict], difference: Difference | None = None) -> list[Lane]:
    """One lane per test-side client, in the order they first appear."""
    with_times = timed(entries)
    drawn = []
    for client in clients_of(entries):
        own = [e for e in entries if e.get("who") == client]
        marks = tuple(Mark(float(e["t"]) if with_times else float(i), e.get("event", NOTE), e.get("data", ""))
                      for i, e in enumerate(own))
        failed_at = None
        if difference is not None and difference.client == client:
            before = marks[:difference.after]
            failed_at = (before[-1].at if before else 0.0) if with_times else float(len(before)) - 0.5
        drawn.append(Lane(client, marks, failed_at))
    return drawn


def span(*groups: list[Lane]) -> float:
    """The end of the latest lane of any group: one scale for pictures drawn side by side."""
    return max([lane.end for group in groups for lane in group] + [0.0])


def served_line(metrics: dict) -> str:
    """The verdict's figure, as a panel states it (of the swarm's clients: a checker's lane may follow)."""
    served = metrics.get("served_at_once")
    return "" if served is None else f"most clients served at once: {served:g}"


def panels(test: TestResult) -> list[tuple[str, list[Lane], dict]]:
    """(heading, lanes, metrics): the student's run, then the reference's when the result carries it."""
    drawn = [("your server", lanes(test.transcript, test.difference), test.metrics)]
    if test.reference is not None and test.reference.transcript:
        drawn.append(("the reference server", lanes(test.reference.transcript), test.reference.metrics))
    return drawn
