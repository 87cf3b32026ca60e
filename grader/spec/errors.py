"""The one exception a spec author sees."""
from __future__ import annotations

from pathlib import Path


class SpecError(Exception):
    """A mistake in a spec file, located at the file, line and key path."""

    def __init__(self, source: Path | str, message: str, *, path: str = "",
                 line: int | None = None, hint: str = ""):
        self.source, self.message, self.path, self.line, self.hint = source, message, path, line, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.source) + (f":{self.line}" if self.line else "")
        text = f"{where}: {self.path + ': ' if self.path else ''}{self.message}"
        return text + (f"\n  hint: {self.hint}" if self.hint else "")
