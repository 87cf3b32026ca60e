"""``grade list [SPEC...]``: a spec's tests, with their points, kind and marks, as ``--test`` and ``-k`` name them."""
from __future__ import annotations

import sys
from pathlib import Path

from rich.table import Table
from rich.text import Text

from grader.kinds import kind_of
from grader.specfile import catalog
from grader.commands import UsageError
from grader.reporting import terminal
from grader.shown import shown

HELP = "list the tests of specs (the shipped ones by default): name, points, kind, bonus and hidden"


def add_arguments(parser) -> None:
    parser.add_argument("specs", nargs="*", metavar="SPEC",
                        help="a spec file, or the id of a spec in --specs-dir (default: every spec there)")
    parser.add_argument("--specs-dir", metavar="DIR", help="a folder of your own specs instead of the shipped ones")
    parser.add_argument("-k", action="append", dest="keywords", default=[], metavar="TEXT",
                        help="only the tests whose name contains TEXT, in any case: what `grade -k TEXT` runs")
    parser.add_argument("--details", action="store_true",
                        help="add what each test does, as its kind describes it (steps, clients, seed, ...)")
    parser.add_argument("--names", action="store_true",
                        help="only the tests' names, one a line, as `grade --test NAME` takes them")


def run(args, console) -> int:
    folder = Path(args.specs_dir) if args.specs_dir else None
    specs = catalog.resolve(args.specs, folder) if args.specs else catalog.load_all(folder)
    listed = [(spec, [t for t in spec.tests if _wanted(t.name, args.keywords)]) for spec in specs]
    if args.keywords and not any(tests for _, tests in listed):
        raise UsageError(f"-k {' -k '.join(map(repr, args.keywords))} matches no test of "
                         f"{', '.join(s.id for s in specs)} (a part of a test's name, in any case)")
    if args.names:
        sys.stdout.write("".join(f"{t.name}\n" for _, tests in listed for t in tests))
        return 0
    for spec, tests in listed:
        if tests:
            _table(spec, tests, console, args.details)
    return 0


def _wanted(name: str, keywords: list[str]) -> bool:
    return not keywords or any(k.casefold() in name.casefold() for k in keywords)


def _table(spec, tests, console, details: bool) -> None:
    table = Table(title=Text(shown(f"{spec.id}: {spec.title}  ({spec.source})")), title_justify="left")
    table.add_column("test", overflow="fold")
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("judges", no_wrap=True)
    table.add_column("tags")
    table.add_column("marks", no_wrap=True)
    if details:
        table.add_column("what it does", overflow="fold")
    for test in tests:
        marks = [mark for mark, on in (("bonus", test.bonus), ("hidden", test.hidden)) if on]
        kind = kind_of(test)
        table.add_row(Text(shown(test.name)), f"{test.points:g}", kind.name, test.side,
                      Text(shown(", ".join(test.tags))), Text(", ".join(marks), style="bold"),
                      *([Text(shown(kind.summary(test), lines=True))] if details else []))
    terminal.show(console, table)
    bonus = sum(t.points for t in spec.tests if t.bonus)
    some = "" if len(tests) == len(spec.tests) else f"{len(tests)} of "
    console.print(f"{some}{len(spec.tests)} tests; {spec.max_score:g} points"
                  + (f" (+{bonus:g} bonus)" if bonus else "") + "\n", highlight=False)
