"""The terminal table: one per assignment, then the total.

Names are never cut short: on a narrow terminal a student's or an assignment's
name folds onto a second line; in a pipe or a file the console is as wide as
the table (``grader.cli.PIPE_WIDTH``), so each row stays on one line. What a
student controls (names, reasons, program output) is passed to rich as
``Text``, never as markup, and ``shown``: a name holding ESC or a newline is
shown, one row as any other.
"""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from grader.reporting import causes, fit, isolation_note, narrow
from grader.reporting.gradebook import percent
from grader.reporting.pictures.text import timeline_lines
from grader.shown import shown


def _points(value: float) -> str:
    return f"{value:g}"


RULE_WIDTH = 100          # a rule spans the terminal, at most this much: a pipe's console is far wider


def fits(console: Console, table) -> bool:
    """``table`` fits the console's width without folding a cell."""
    return console.measure(table, options=console.options.update_width(1 << 20)).maximum <= console.width


def show(console: Console, table: Table) -> None:
    """``table`` with every word whole: its columns narrowed where words allow, else stacked (one
    block a row: its first cells on a line, each other cell below it, indented)."""
    if fit.columns(table, console.width):
        console.print(table)
        return
    if table.title:
        console.print(table.title)
    for line in narrow.stacked(table, console.width):
        console.print(line, no_wrap=True, overflow="ignore", crop=False)


def rule(console: Console, title: str) -> None:
    console.print(Rule(Text(shown(title))), width=min(console.width, RULE_WIDTH))


def footer(console: Console, results) -> None:
    """What every run ends with: the isolation level and the limits that held."""
    text = isolation_note.footer(results)
    if text:
        console.print(Text(shown(text), style="dim"))


def _warn(console: Console, text: str) -> None:
    """The isolation warning, as one line that stands out (plain text: names may hold brackets)."""
    if text:
        console.print(Text("WARNING: " + shown(text), style="bold yellow"))


def render(results, console: Console | None = None, verbose: bool = False, warn: bool = True) -> None:
    """A table per assignment, then the total; ``warn``: end with the isolation warning, if any."""
    console = console or Console()
    for result in results:
        if not result.assignment:            # nothing to grade: say why, no table
            console.print(Text(shown(f"{result.student}: {result.error}"), style="bold red"))
            continue
        # Text, not markup: a name or a reason may hold brackets ("expected '[1, 2]'").
        table = Table(title=Text(shown(f"{result.student} — {result.assignment}: {result.title}")),
                      title_justify="left", expand=False, show_lines=False)
        table.add_column("test", overflow="fold")
        table.add_column("points", justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        table.add_column("why", overflow="fold")
        follows = causes.followers(result)
        for test in result.tests:
            mark = Text("pass", style="green") if test.passed else Text("FAIL", style="bold red")
            points = f"{_points(test.points)}/{_points(test.max_points)}" + (" bonus" if test.bonus else "")
            why = shown(test.reason or ("; ".join(test.notes)))
            if test.name in follows:          # one cause, one explanation: the first test carries it
                why = shown(causes.pointer(follows[test.name]))
            elif not test.passed and test.hint:
                why += f"\nhint: {shown(test.hint)}"
            table.add_row(Text(shown(test.name)), points, mark, Text(why))
        show(console, table)
        if result.forms:
            console.print(Text(shown(f"handed in: {result.form_words}")), highlight=False)
        for why in result.left_out:
            console.print(Text(shown(why), style="yellow"))
        if result.ungraded:
            console.print(Text(f"grading failed: {shown(result.error)}", style="bold red"))
        bonus = f" (+{_points(result.bonus_score)} bonus)" if result.bonus_score else ""
        seed = f"  seed: {result.extra['seed']}" if "seed" in result.extra else ""
        if len(result.sides) > 1:
            seed += "  (" + ", ".join(f"{side} {_points(a)}/{_points(b)}" for side, (a, b) in result.sides.items()) + ")"
        below = f" [bold yellow](below {isolation_note.FULL})[/]" if isolation_note.below(result) else ""
        console.print(f"[bold]score {_points(result.score - result.bonus_score)} / "
                      f"{_points(result.max_score)}{bonus}[/]  isolation: {escape(str(result.isolation))}{below}{seed}\n")
        if verbose:
            for test in result.tests:
                if not test.passed and test.name not in follows:
                    rule(console, test.name)
                    console.print(shown(test.output_text(), lines=True), markup=False, highlight=False)
                    for line in timeline_lines(test):       # several clients: when each was served
                        console.print(Text(shown(line)), no_wrap=True, overflow="ellipsis")
    if len(results) > 1:
        bonus = sum(r.bonus_score for r in results)
        total = sum(r.score for r in results) - bonus
        maximum = sum(r.max_score for r in results)
        extra = f" (+{_points(bonus)} bonus)" if bonus else ""
        console.print(f"[bold]total {_points(total)} / {_points(maximum)}{extra}[/]")
    if warn:
        _warn(console, isolation_note.warning(results))


def render_class(results, book, console: Console | None = None, verbose: bool = False) -> None:
    """A class: one row per student: a column per assignment, the total, the percent (over the course's
    assignments with a course file), bonus apart, failed tests, what was missing or taken off."""
    console = console or Console()
    if verbose:
        render(results, console, verbose=True, warn=False)
    table = Table(title=f"{len(book.rows)} students; {book.basis}", title_justify="left")
    table.add_column("student", overflow="fold")
    for a in book.assignments:
        table.add_column(f"{a.id}\n/{_points(a.max_score)}", justify="right", overflow="fold")
    table.add_column(f"total\n/{_points(book.maximum)}", justify="right")
    table.add_column("%", justify="right")
    bonus = any(row.bonus for row in book.rows)
    if bonus:
        table.add_column("bonus", justify="right")
    forms = book.has_forms
    if forms:
        table.add_column("form", overflow="fold")
    table.add_column("failed", justify="right")
    table.add_column("problems", overflow="fold")
    # Levels mixed: mark the rows graded below sandbox (all alike: the line under the table says it).
    marks = isolation_note.student_notes(results) if isolation_note.mixed(results) else {}
    for row in book.rows:
        scores = [_points(row.scores[a.id]) if a.id in row.scores else Text("–", style="dim")
                  for a in book.assignments]
        style = "red" if row.problems else ("green" if row.percent >= 100 else "")
        student = Text(shown(row.student))
        if row.student in marks:
            student.append(f" ⚠ {shown(marks[row.student])}", style="bold yellow")
        table.add_row(student, *scores, _points(row.total), Text(percent(row.percent), style=style),
                      *([_points(row.bonus) if row.bonus else ""] if bonus else []),
                      *([Text(shown(row.form_words))] if forms else []),
                      Text(str(row.failed), style="red" if row.failed else "dim"),
                      Text(shown("; ".join(row.problems)), style="red"))
    if fits(console, table):
        console.print(table)
    else:          # too narrow for it whole: two lines a student (``narrow``), every word whole
        console.print(Text(shown(table.title)))
        for line in narrow.lines(book, isolation_note.student_notes(results) if marks else {}, console.width):
            console.print(line, no_wrap=True, overflow="ignore", crop=False)
    _warn(console, isolation_note.warning(results, limit=20))
