"""What every picture shares: colours that colour-blind readers tell apart (Okabe and Ito's), each
paired with a shape or a line pattern, text cut to a length, and the picture's frame."""
from __future__ import annotations

from xml.sax.saxutils import escape

import drawsvg as draw

from grader.shown import shown

INK, MUTED, GRID = "#1f2933", "#616e7c", "#d9dee3"
SERVED = "#0072b2"        # blue, solid bar
WAITING = "#e69f00"       # orange, dashed line
WRONG = "#d55e00"         # vermilion, a cross and a dashed box
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
LONGEST = 40              # characters of a message shown before it is cut


def cut(text: str, longest: int = LONGEST) -> str:
    """A message as a picture shows it: on one line, a long one cut with its length said."""
    text = shown(text)
    return text if len(text) <= longest else f"{text[:longest - 12]}… ({len(text)} chars)"


def drawing(width: float, height: float, title: str, prefix: str, summary: str = "") -> draw.Drawing:
    """An SVG with its ``<title>`` (and ``<desc>``), named for screen readers, on a white ground."""
    picture = draw.Drawing(round(width), round(height), id_prefix=prefix, role="img",
                           aria_labelledby=f"{prefix}-title", font_family=FONT)
    picture.append(draw.Title(shown(title), id=f"{prefix}-title"))
    if summary:
        picture.append(draw.Raw(f"<desc>{escape(shown(summary))}</desc>"))
    picture.append(draw.Rectangle(0, 0, round(width), round(height), fill="#ffffff"))
    return picture


def cross(x: float, y: float, size: float = 5, **extra) -> draw.Path:
    return draw.Path(stroke=WRONG, stroke_width=2.5, **extra).M(x - size, y - size).L(x + size, y + size) \
        .M(x - size, y + size).L(x + size, y - size)


def svg_text(picture: draw.Drawing) -> str:
    """The SVG as a file holds it, with its XML declaration."""
    return picture.as_svg()
