"""``grade check``'s report on a terminal: the spec's summary, the reference's failures, the table of
saboteurs caught, the warnings and the verdict (``grader.grading.check.CheckReport``)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.reporting import terminal
from grader.shown import shown


def render(report, console: Console, verbose: bool = False) -> None:
    """``report``: a ``grader.grading.check.CheckReport``."""
    spec = report.spec
    bonus = sum(t.points for t in spec.tests if t.bonus)
    roles = ", ".join(f"{r.name} ({' or '.join(f'{f.files[0]}' for f in r.forms)})" for r in spec.roles.values())
    console.print(Text(f"{spec.id}: {spec.title}", style="bold") + Text(f"  {spec.source}", style="dim"),
                  highlight=False)
    console.print(Text("  ok ", style="green") + Text(
        f"the spec is valid: {len(spec.tests)} tests, {spec.max_score:g} points"
        + (f" (+{bonus:g} bonus)" if bonus else "") + f"; roles: {roles}"), highlight=False)
    for advice in report.advice:
        console.print(Text("  warning ", style="bold yellow") + Text(shown(advice.located)), highlight=False)
        if advice.hint:
            console.print(Text("    hint: " + shown(advice.hint), style="dim"), highlight=False)
    failures = report.reference_failures
    if failures:
        console.print(Text("  FAIL ", style="bold red") + Text(
            f"the reference programs fail {len(failures)} of {len(spec.tests)} tests "
            "(they must pass every test):"), highlight=False)
        table = Table(show_header=True, expand=False)
        table.add_column("test", overflow="fold")
        table.add_column("why the reference failed", overflow="fold")
        for test in failures:
            table.add_row(Text(shown(test.name)), Text(shown(test.reason)))
        terminal.show(console, table)
        advised = sorted({a.test for a in report.advice} & {t.name for t in failures})
        if advised:
            console.print(Text("  " + shown(", ".join(repr(n) for n in advised))
                               + (" sends" if len(advised) == 1 else " send")
                               + " twice in a row on one TCP connection (see the warning above): the "
                               "server may have read the two sends as one message"), highlight=False)
        console.print("  Reference programs run as students get no arguments: they must default to "
                      f"{spec.host}:{spec.port}; run as references they get --port N and must use it.",
                      highlight=False)
        if verbose:
            for test in failures:
                terminal.rule(console, test.name)
                console.print(shown(test.output_text(), lines=True), markup=False, highlight=False)
    else:
        console.print(Text("  ok ", style="green") + Text(
            f"the reference programs score full marks: {report.reference.score - bonus:g} / "
            f"{report.reference.max_score:g}" + (f" (+{bonus:g} bonus)" if bonus else "")), highlight=False)
    for note in report.notes:
        console.print(Text("  -- ", style="dim") + Text(shown(note)), highlight=False)
    if report.runs:
        _saboteur_table(report, console)
    warnings = report.warnings
    for test_name, problem in report.test_warnings:
        console.print(Text("  warning ", style="bold yellow") + Text(shown(f"{test_name!r}: {problem}")),
                      highlight=False)
    if failures:
        verdict = Text("NOT READY: the reference programs must score full marks", style="bold red")
    elif warnings:
        verdict = Text(f"READY, with {len(warnings)} warning{'s' if len(warnings) > 1 else ''}: "
                       + ("a test a saboteur passes accepts a wrong program" if report.test_warnings else
                          "sends TCP may join can fail a correct program"), style="bold yellow")
    else:
        verdict = Text("READY: the reference passes every test and every saboteur is caught", style="bold green")
    console.print(verdict)
    console.print()


def _saboteur_table(report, console: Console) -> None:
    labels = [run.label for run in report.runs]
    table = Table(title="saboteurs handed in as students (each test should FAIL them)",
                  title_justify="left", expand=False)
    table.add_column("test", overflow="fold", min_width=20)
    for label in labels:
        table.add_column(label.replace(" ", "\n", 1), justify="center", no_wrap=True)
    for test in report.spec.tests:
        caught = report.caught_by(test.name)
        cells = []
        for label in labels:
            if label not in caught:
                cells.append(Text("-", style="dim"))
            else:
                cells.append(Text("caught", style="green") if caught[label] else Text("PASSED", style="bold red"))
        table.add_row(Text(shown(test.name)), *cells)
    terminal.show(console, table)
    console.print(Text("  - : not run: startup tests (any server that binds passes them) and tests "
                       "that do not run this role", style="dim"), highlight=False)
    for saboteur in dict.fromkeys(run.saboteur for run in report.runs):
        console.print(Text(f"  {saboteur.name}: {saboteur.description}", style="dim"), highlight=False)
