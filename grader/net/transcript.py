"""What went over the wire during a test, in order, with relative times."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass


def escape(data: bytes) -> str:
    """Readable text for any bytes: UTF-8 kept, everything else escaped."""
    text = data.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode() for c in text)


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


@dataclass
class Entry:
    t: float | None    # seconds since the test started (None: left out for a reproducible record)
    who: str           # client name, "server", "client program", "relay"
    event: str         # sent | received | connected | closed | note
    data: str = ""

    def line(self) -> str:
        arrow = {"sent": "->", "received": "<-"}.get(self.event, "--")
        body = repr(self.data) if self.event in ("sent", "received") else (self.data or self.event)
        when = "" if self.t is None else f"{self.t:7.3f}s "
        return f"{when}{self.who:>8} {arrow} {body}"


class Transcript:
    def __init__(self, start: float | None = None):
        self.start = time.monotonic() if start is None else start
        self.entries: list[Entry] = []

    def add(self, who: str, event: str, data: bytes | str = b"") -> None:
        text = escape(data) if isinstance(data, bytes) else data
        self.entries.append(Entry(round(time.monotonic() - self.start, 3), who, event, text))

    def to_list(self) -> list[dict]:
        return [asdict(e) for e in self.entries]


def render(entries: list[dict]) -> str:
    return "\n".join(Entry(**e).line() for e in entries)
