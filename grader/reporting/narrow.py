"""The class table on a terminal too narrow for the full one (80 columns, 60): a student is two
lines at most, and no word is cut.

The first line holds the student's name and numbers: each assignment under a short key (its
words' initials, explained once below the table with its points), the total, the percent, the
bonus, the failed tests. The second holds what the full table's last columns would (the form handed
in, where a role has several; the problems, the isolation note), its assignment ids written as their keys, as many whole words as fit, then
``…`` (the CSV, the report and ``grade STUDENT`` hold the rest). A name wider than its column
goes on in that column on the second line, indented, the problems beside it.
"""
from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from grader.reporting import fit
from grader.reporting.gradebook import percent, points
from grader.shown import shown

GAP = 1                    # between two columns
INDENT = 2
LEAST_NAME = 8             # the student column is never narrower (a name wraps into two lines)
LEAST_LEAD = 24            # a stacked row's short cells lead only when they leave its first long one this much
LEAST_BELOW = 40           # a stacked row's other cells go under its first long one when this much is left
LEAST_PROBLEMS = 12        # beside a name's second line, problems need at least this much room


def lines(book, isolation: dict[str, str], width: int) -> list[Text]:
    """The table as lines of at most ``width`` cells; ``isolation``: student -> an isolation note."""
    keys = fit.column_keys([a.id for a in book.assignments])
    names = [shown(row.student) for row in book.rows]
    wanted = max(map(cell_len, names + ["student"]))
    whole = max(map(fit.longest_word, names + ["student"]))     # the widest word of a name stays whole
    bonus = any(row.bonus for row in book.rows)
    heads, cells, widths = _columns(book, keys, bonus)
    if bonus and width - _room(widths) < min(wanted, whole):      # no room: the bonus joins the problems
        bonus = False
        heads, cells, widths = _columns(book, keys, bonus)
    name_width = max(LEAST_NAME, min(wanted, width - _room(widths)))
    full = name_width + _room(widths)
    out = [Text(fit.pad("student", name_width) + "".join(" " * GAP + fit.pad(h, w, right=True)
                                                          for h, w in zip(heads, widths)), style="bold"),
           Text("─" * min(full, width), style="dim")]
    for row, name, values in zip(book.rows, names, cells):
        parts = fit.wrap(name, name_width)
        first = Text(fit.pad(parts[0], name_width))
        for column, (value, w) in enumerate(zip(values, widths)):
            first.append(" " * GAP)
            first.append(fit.pad(value, w, right=True), style=_style(column, len(widths), value, row))
        out.append(first)
        said = ([row.form_words] if row.forms else []) + row.problems + ([isolation[row.student]] if row.student in isolation else []) + \
            ([f"bonus {points(row.bonus)}"] if row.bonus and not bonus else [])
        problems = fit.with_keys(shown("; ".join(said)), keys)        # a file's name is the student's
        rest = name[len(parts[0]):].strip() if name.startswith(parts[0]) else " ".join(parts[1:])
        if rest:      # the name goes on (its line has no numbers: as wide as it needs), the problems beside
            name_rest = fit.shorten(rest, width - INDENT)
            second = Text(" " * INDENT + fit.pad(name_rest, name_width - INDENT))
            room = width - cell_len(second.plain) - GAP
            if problems:
                second.append(" " * GAP + (fit.shorten(problems, room) if room >= LEAST_PROBLEMS else fit.ELLIPSIS),
                              style="red")
            out.append(second)
        elif problems:
            out.append(Text(" " * INDENT + fit.shorten(problems, width - INDENT), style="red"))
    out.append(Text("─" * min(full, width), style="dim"))
    legend = " · ".join(f"{keys[a.id]} {a.id} /{points(a.max_score)}" for a in book.assignments)
    out += [Text(line, style="dim") for line in fit.wrap(f"{legend} · total /{points(book.maximum)}", width)]
    return out


def _columns(book, keys: dict[str, str], bonus: bool):
    """The numbers' headers, cells (a list per student) and widths."""
    heads = [keys[a.id] for a in book.assignments] + ["total", "%"] + (["bonus"] if bonus else []) + ["failed"]
    cells = [[_score(row, a) for a in book.assignments] + [points(row.total), percent(row.percent)]
             + ([points(row.bonus) if row.bonus else ""] if bonus else []) + [str(row.failed)] for row in book.rows]
    widths = [max([cell_len(h)] + [cell_len(c[i]) for c in cells]) for i, h in enumerate(heads)]
    return heads, cells, widths


def _room(widths: list[int]) -> int:
    return sum(widths) + GAP * len(widths)


def _score(row, assignment) -> str:
    return points(row.scores[assignment.id]) if assignment.id in row.scores else "–"


def _style(column: int, columns: int, value: str, row) -> str:
    """The last column is the failed tests, the percent is the one before the total's neighbour."""
    if value == "–":
        return "dim"
    if column == columns - 1:
        return "red" if row.failed else "dim"
    if value == percent(row.percent) and column >= columns - 3:
        return "red" if row.problems else ("green" if row.percent >= 100 else "")
    return ""


def stacked(table, width: int) -> list[Text]:
    """A rich table too narrow to keep its words whole, as blocks: a row's short cells (those that
    never wrap) then its first cell on one line, its other cells under it, indented, each wrapped."""
    columns = table.columns
    short = [i for i, c in enumerate(columns) if c.no_wrap]
    long = [i for i, c in enumerate(columns) if not c.no_wrap]
    widths = {i: max(cell_len(_plain(c).replace("\n", " ")) for c in [columns[i].header, *columns[i].cells])
              for i in short}
    indent = sum(widths.values()) + GAP * len(short)
    if width - indent < LEAST_LEAD:                 # too many short cells to lead: each said by its header
        return _labelled(table, width)
    under = indent + INDENT if width - indent - INDENT >= LEAST_BELOW else 2 * INDENT     # the other cells
    out = []
    if table.show_header:       # the short cells' headers, then the first long one's
        heads = "".join(fit.pad(_plain(columns[i].header).replace("\n", " "), widths[i]) + " " * GAP for i in short)
        out.append(Text(heads + (_plain(columns[long[0]].header) if long else ""), style="bold"))
        if len(long) > 1:
            out += [Text(" " * under + line, style="bold")
                    for line in fit.wrap(" · ".join(_plain(columns[i].header) for i in long[1:]), width - under)]
    for r in range(table.row_count):
        cells = [list(c.cells)[r] for c in columns]
        head = Text()
        for i in short:
            head.append_text(_text(cells[i]))
            head.append(" " * (widths[i] - cell_len(_plain(cells[i])) + GAP))
        lead, rest = (long[0], long[1:]) if long else (None, [])
        body = fit.wrap(_plain(cells[lead]), width - indent) if lead is not None else [""]
        out.append(head + Text(body[0], style=_text(cells[lead]).style if lead is not None else ""))
        out += [Text(" " * indent + line) for line in body[1:]]
        # The other long cells one after the other ("a · b"), a line break in a cell kept.
        joined = " · ".join(_plain(cells[i]) for i in rest if _plain(cells[i]).strip())
        for part in joined.split("\n") if joined else []:
            out += [Text(" " * under + line) for line in fit.wrap(part, width - under) if line]
    return out


def _plain(cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _text(cell) -> Text:
    return cell if isinstance(cell, Text) else Text(str(cell))


def _labelled(table, width: int) -> list[Text]:
    """A row as its first long cell (or its first cell) on a line, then every other cell as
    ``header: value``, one after the other, indented, wrapped."""
    columns = table.columns
    lead = next((i for i, c in enumerate(columns) if not c.no_wrap), 0)
    out = []
    for r in range(table.row_count):
        cells = [list(c.cells)[r] for c in columns]
        out += [Text(line, style="bold") for line in fit.wrap(_plain(cells[lead]), width)]
        said = [f"{_plain(columns[i].header).replace(chr(10), ' ')}: {_plain(cell)}" if _plain(columns[i].header)
                else _plain(cell) for i, cell in enumerate(cells) if i != lead and _plain(cell).strip()]
        for part in " · ".join(said).split("\n"):
            out += [Text(" " * INDENT + line) for line in fit.wrap(part, width - INDENT) if line]
    return out
