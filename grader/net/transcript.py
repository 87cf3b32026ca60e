"""What went over the wire during a test, in order, with relative times."""
from __future__ import annotations

import time
from dataclasses import asdict

from grader.results import Entry


def escape(data: bytes) -> str:
    """Readable text for any bytes: UTF-8 kept, everything else escaped."""
    text = data.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() or c == " " else c.encode("unicode_escape").decode() for c in text)


def decode(data: bytes) -> str:
    return data.decode("utf-8", errors="backslashreplace")


class Transcript:
    def __init__(self, start: float | None = None):
        self.start = time.monotonic() if start is None else start
        self.entries: list[Entry] = []

    def add(self, who: str, event: str, data: bytes | str = b"") -> None:
        text = escape(data) if isinstance(data, bytes) else data
        self.entries.append(Entry(round(time.monotonic() - self.start, 3), who, event, text))

    def to_list(self) -> list[dict]:
        return [asdict(e) for e in self.entries]
