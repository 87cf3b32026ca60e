"""The feedback's pictures: SVG files in a folder beside a student's Markdown file, each linked from the
failed test it explains, so that they show on GitHub's Markdown view and in a browser."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from grader.reporting.pictures import Drawing, pictures
from grader.shown import shown


LEADS = {Drawing.TIMELINE: "a lane per client, dashed while it waits for a reply, solid once served, ✕ where "
                           "the test failed; your server above, the reference's below at the same scale",
         Drawing.SEQUENCE: "the conversation, marked where it first differed from what was expected"}


class Album:
    """Collects a student's pictures while their Markdown is written; ``write`` puts them on disk."""

    def __init__(self, folder: str):
        self.folder = folder            # relative to the Markdown file: "<student>-pictures"
        self.files: dict[str, str] = {}

    def links(self, assignment: str, number: int, test) -> list[str]:
        """Markdown image lines for ``test`` (the ``number``-th of ``assignment``), its files kept."""
        drawn = pictures(test, prefix=f"t{number}")
        if not drawn:
            return []
        lines = ["**In pictures:** " + "; ".join(LEADS[p.drawing] for p in drawn) + ".", ""]
        for picture in drawn:
            name = f"{_safe(assignment)}-{number:02d}-{picture.drawing.value}.svg"
            self.files[name] = picture.svg
            alt = re.sub(r"([\\\[\]<>])", r"\\\1", shown(picture.title))
            lines += [f"![{alt}]({quote(self.folder)}/{quote(name)})", ""]
        return lines

    def write(self, beside: Path) -> list[Path]:
        """The collected pictures, in ``beside``'s folder/``self.folder``; nothing when there are none."""
        if not self.files:
            return []
        folder = Path(beside) / self.folder
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, svg in self.files.items():
            (folder / name).write_text(svg, encoding="utf-8")
            written.append(folder / name)
        return written


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]", "_", text)[:60] or "assignment"
