"""``grade check SPEC``: is a spec ready to grade students with?

1. The spec is valid: every schema error is listed with file, line, key and a hint.
2. The reference programs, handed in as a student would (each copied under
   its role's first file name), score full marks.
3. Built-in saboteurs (``grader/saboteurs/``), handed in in place of one
   role, fail every test that could catch them; a test a saboteur passes is
   reported as a warning, since it cannot tell that saboteur from a correct
   program.

Exit status: 0 ready (warnings are printed but allowed; ``--strict`` makes
them fail), 1 the reference does not score full marks (or ``--strict`` and
warnings), 2 the spec has errors.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from grader.commands import print_error
from grader.commands.options import at_least_one
from grader.grading.check import READY, REFERENCE_FAILED, SPEC_ERROR, check
from grader.reporting.check_report import render
from grader.runner.isolation import Level, Request
from grader.spec import Spec, catalog
from grader.spec.loader import find_errors, load_spec

PROG = "grade check"
HELP = "check a spec you wrote: validate it, then grade its reference programs and built-in saboteurs with it"


def add_arguments(parser) -> None:
    parser.add_argument("specs", nargs="+", metavar="SPEC",
                        help="a spec file, or the id of a spec in --specs-dir (by default, of a shipped spec)")
    parser.add_argument("--specs-dir", metavar="DIR", help="where to find specs given by id (default: the shipped specs)")
    parser.add_argument("--no-saboteurs", action="store_true",
                        help="only validate and grade the reference programs")
    parser.add_argument("--strict", action="store_true",
                        help="warnings fail the check too (exit status 1)")
    parser.add_argument("-j", "--jobs", type=at_least_one,
                        help="tests run at the same time (default: as many as the machine has room for)")
    parser.add_argument("--isolation", choices=[Level.NONE.value, Level.NETNS.value],
                        help="force an isolation level (default: the best available: `grade check` runs "
                             "only your reference programs and the grader's saboteurs)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show the conversation of every test the reference fails")


def run(args, console: Console) -> int:
    worst = READY
    for name in args.specs:
        spec = _load(name, args.specs_dir, console)
        if spec is None:
            worst = max(worst, SPEC_ERROR)
            continue
        report = check(spec, jobs=args.jobs, isolation=args.isolation or Request.BEST,
                       saboteurs=not args.no_saboteurs)
        render(report, console, verbose=args.verbose)
        status = report.status
        if status == READY and args.strict and report.warnings:
            status = REFERENCE_FAILED
        worst = max(worst, status)
    return worst


def _load(name: str, specs_dir: str | None, console: Console) -> Spec | None:
    """The spec, or None after printing every error in it."""
    path = Path(name)
    if not (path.suffix in (".yaml", ".yml") or path.is_file()):
        return catalog.resolve([name], specs_dir and Path(specs_dir))[0]
    errors = find_errors(path)
    if not errors:
        return load_spec(path)
    for error in errors:                    # on stderr, as grader.cli shows a single one
        print_error(PROG, str(error), kind="spec error")
    if len(errors) > 1:
        print(f"{PROG}: {path}: {len(errors)} spec errors", file=sys.stderr)
    return None
