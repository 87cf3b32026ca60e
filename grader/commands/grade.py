"""``grade PATH``: grade one student's folder."""
from __future__ import annotations

import inspect
from pathlib import Path

from grader import api
from grader.commands import UsageError
from grader.reporting import json_report, junit_report, terminal

HELP = "grade a student's folder (the default command)"


def _defaults(func) -> dict:
    return {k: p.default for k, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


def add_arguments(parser) -> None:
    d = _defaults(api.grade_submission)
    parser.add_argument("path", help="one student's folder")
    parser.add_argument("--spec", action="append", dest="specs", default=d["specs"], metavar="ID_OR_FILE",
                        help="grade only this spec (an id of a shipped spec or a YAML file); repeatable")
    parser.add_argument("--specs-dir", default=d["specs_dir"], metavar="DIR",
                        help="a folder of your own specs instead of the shipped ones")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write the results as JUnit XML")
    parser.add_argument("-j", "--jobs", type=int, default=d["jobs"], help="tests run at the same time")
    parser.add_argument("--isolation", choices=["none", "netns"], default=d["isolation"],
                        help="force an isolation level (default: the best available)")
    parser.add_argument("--seed", type=int, default=d["seed"],
                        help="seed for generated conversations (default: each spec's own)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the conversation of failed tests")


def run(args, console) -> int:
    path = Path(args.path)
    if not path.is_dir():
        raise UsageError(f"{path} is not a folder")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    results = api.grade_submission(path, specs=args.specs, specs_dir=args.specs_dir,
                                   jobs=args.jobs, isolation=args.isolation, seed=args.seed)
    if not results:
        console.print(f"no assignment found in {path}: none of the specs' file names are there")
    terminal.render(results, console, verbose=args.verbose)
    if args.json:
        json_report.write(results, args.json)
    if args.junit:
        junit_report.write(results, args.junit)
    return 0
