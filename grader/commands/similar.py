"""``grade similar CLASS``: which students' code is alike, pair by pair, per role of each assignment.

The students and their files are found as ``grade`` finds them; code from the spec's reference
programs and from ``--base`` files (the lecture's code) does not count (``grader.grading.similarity``).
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.specfile import catalog
from grader.input import config
from grader.commands import UsageError
from grader.reporting import similarity_report, terminal
from grader.formats import OutputFormat
from grader.spec import SpecError
from grader.shown import json_shown, shown

HELP = "rank pairs of students by how alike their code is, the code they were given aside; identical files first"
TOP = 10
STDOUT = "-"          # an output file named - is standard output


def add_arguments(parser) -> None:
    parser.add_argument("path", metavar="CLASS", help="a class folder, or a zip of the class's folders")
    parser.add_argument("--spec", action="append", dest="specs", metavar="ID_OR_FILE",
                        help="compare every student's files for this spec (an id of a shipped spec or a YAML "
                             "file); repeatable. Without it: the specs whose file names each student handed in")
    parser.add_argument("--specs-dir", metavar="DIR", help="a folder of your own specs instead of the shipped ones")
    parser.add_argument("--base", action="append", type=Path, default=[], metavar="FILE",
                        help="code the students were given (the lecture's): what they share from it does not "
                             "count; repeatable. The spec's reference programs always count as given")
    parser.add_argument("--min", type=float, default=0.0, metavar="SIMILARITY",
                        help="leave out pairs below this similarity (0 to 1, e.g. 0.5) from every output")
    parser.add_argument("--top", type=int, default=TOP, metavar="N",
                        help=f"pairs shown in the terminal and compared side by side in the report (default {TOP})")
    parser.add_argument("--json", metavar="FILE",
                        help='every pair as {"a", "b", "role", "similarity", ...}, high to low; - for stdout')
    parser.add_argument("--report", metavar="FILE.html",
                        help="a self-contained HTML report: the ranked pairs and the top ones side by side; - for "
                             "stdout. A class report (`grade --report`) written afterwards into the same folder links to it")
    parser.add_argument("--title", metavar="TEXT", help="the report's title (default: the class folder's name)")


def run(args, console) -> int:
    if not 0 <= args.min <= 1:
        raise UsageError(f"--min {args.min:g}: a similarity is between 0 and 1 (0.5 is half the code)")
    if args.top < 1:
        raise UsageError("--top must be at least 1")
    if args.json == STDOUT and str(args.report) == STDOUT:
        raise UsageError("--json - and --report -: only one output can go to standard output")
    if args.json is None:              # the course file's: `grade` then names the students alike
        try:
            args.json = config.load().outputs.get(OutputFormat.SIMILAR)
        except config.ConfigError as exc:
            raise UsageError(str(exc)) from None
    path = Path(args.path)
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if not path.is_dir() and not zipfile.is_zipfile(path):
        raise UsageError(f"{path} is neither a folder nor a zip file")
    folder = Path(args.specs_dir) if args.specs_dir else None
    try:
        specs = catalog.resolve(args.specs, folder) if args.specs else catalog.load_all(folder)
    except SpecError as exc:            # one line: the hint (the known ids) in brackets
        raise SpecError(exc.source, exc.message + (f" ({exc.hint})" if exc.hint else ""),
                        path=exc.path, line=exc.line) from None

    from grader.grading import similarity      # copydetect (and the matplotlib it imports) only when comparing
    try:
        comparison = similarity.compare_class(path, specs, chosen=bool(args.specs), base=args.base)
    except similarity.SimilarityError as exc:
        raise UsageError(str(exc)) from None
    pairs = [p for p in comparison.pairs if p.similarity >= args.min]

    if STDOUT in (args.json, str(args.report)) and not console.stderr:
        console = Console(stderr=True)      # stdout holds that output alone
    _show(comparison, pairs, args, console)
    if args.json:
        _write(args.json, json_shown([p.to_dict() for p in pairs], indent=1) + "\n", "--json")
    if args.report:
        title = args.title or f"Similarity: {path.resolve().name}"
        _write(str(args.report), similarity_report.render(comparison, pairs, title=title, top=args.top), "--report")
        if str(args.report) != STDOUT:
            console.print(f"report: {args.report}", highlight=False)
    return 0


def _show(comparison, pairs, args, console) -> None:
    table = Table(title="Most alike first", title_justify="left")
    for column, justify in (("#", "right"), ("similarity", "right"), ("student", "left"), ("student", "left"),
                            ("assignment", "left"), ("role", "left"), ("shares", "right")):
        table.add_column(column, justify=justify, no_wrap=column in ("#", "similarity", "shares"))
    alike = [p for p in pairs if p.similarity > 0]
    for rank, pair in enumerate(alike[:args.top], 1):
        score = Text("identical", style="bold red") if pair.identical else _percent(pair.similarity)
        table.add_row(str(rank), score, Text(shown(pair.a)), Text(shown(pair.b)), Text(pair.spec), Text(pair.role),
                      f"{_percent(pair.shares[0])} / {_percent(pair.shares[1])}")
    if alike:
        terminal.show(console, table)
    else:
        console.print("No two students share code beyond the code they were given.", highlight=False)
    groups = "; ".join(f"{spec} {role}: {n} students" for (spec, role), n in comparison.groups.items())
    identical = sum(p.identical for p in pairs)
    line = (f"{len(comparison.students)} students, {len(comparison.pairs)} pairs compared"
            f" ({groups or 'no files of any assignment found'})")
    if args.min:
        line += f"; {len(pairs)} at or above {args.min:g}"
    if identical:
        line += f"; {identical} pair{'s' if identical != 1 else ''} of identical files"
    given = "the reference programs" + (f" and {len(comparison.base)} --base file"
                                        f"{'s' if len(comparison.base) != 1 else ''}" if comparison.base else "")
    console.print(line + f"; code from {given} does not count", highlight=False)
    console.print("shares: how much of the first student's code is found in the second's, and of the second's "
                  "in the first's; the similarity is their mean", style="dim", highlight=False)
    for line in handout_lines(comparison):
        console.print(shown(line), markup=False, highlight=False)
    for note in comparison.notes:
        console.print(shown(note), style="yellow", markup=False, highlight=False)


def handout_lines(comparison) -> list[str]:
    """Who handed in a given file unchanged, per file: listed apart, compared with no one."""
    kept: dict[tuple[str, str, str], list[str]] = {}
    for h in comparison.handouts:
        kept.setdefault((h.spec, h.role, h.given), []).append(h.student)
    return [f"kept the handout, compared with no one: {', '.join(students)} ({spec} {role}: {given} unchanged)"
            for (spec, role, given), students in kept.items()]


def _percent(value: float) -> str:
    return f"{value:.0%}"


def _write(name: str, text: str, option: str) -> None:
    if name == STDOUT:
        sys.stdout.write(text)
        return
    path = Path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write it: {exc.strerror or exc}") from None
