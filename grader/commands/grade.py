"""``grade PATH``: grade one student's folder, a class folder, or a zip of either."""
from __future__ import annotations

import inspect
import os
import time
import zipfile
from contextlib import nullcontext
from pathlib import Path

from grader import api, cache, config
from grader.commands import UsageError
from grader.reporting import (csv_report, feedback, gradebook, gradescope, html_report, json_report,
                              junit_report, progress, terminal)
from grader.runner import isolation
from grader.stable import stable

HELP = "grade a student's folder, a class folder, or a zip of either (the default command)"
AUTOGRADER = "/autograder"


def _defaults(func) -> dict:
    return {k: p.default for k, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


def add_output_arguments(parser) -> None:
    """The outputs ``grade`` and ``grade merge`` share."""
    out = parser.add_argument_group("outputs (every one reads the same results)")
    out.add_argument("--json", type=Path, metavar="FILE",
                     help="every (student, assignment) record as JSON, sorted by student and assignment")
    out.add_argument("--csv", type=Path, metavar="FILE",
                     help="gradebook: a row per student, a column per assignment, total (UTF-8 with BOM, for Excel)")
    out.add_argument("--junit", type=Path, metavar="FILE",
                     help="JUnit XML: a testsuite per (student, assignment), a testcase per test")
    out.add_argument("--feedback", type=Path, metavar="DIR", help="one Markdown file per student")
    out.add_argument("--report", type=Path, metavar="FILE.html", help="a self-contained HTML class report")
    out.add_argument("--title", metavar="TEXT", help="the report's title (default: the class folder's name)")
    out.add_argument("--stable", action="store_true",
                     help="leave out durations, conversation times and ephemeral ports, so that grading the "
                          "same class twice writes byte-identical files")
    out.add_argument("--fail-under", type=float, metavar="PERCENT",
                     help="exit with status 1 when a student's total is below PERCENT (0-100) of the maximum "
                          "of the assignments graded, or a student could not be graded")


def add_arguments(parser) -> None:
    d = _defaults(api.grade_class)
    parser.add_argument("path", nargs="?",
                        help="a student's folder, a folder of students' folders or zips, or a zip of either")
    parser.add_argument("--spec", action="append", dest="specs", default=d["specs"], metavar="ID_OR_FILE",
                        help="grade every student against this spec (an id of a shipped spec or a YAML file); "
                             "repeatable. Without it: the specs whose file names each student handed in")
    parser.add_argument("--specs-dir", default=d["specs_dir"], metavar="DIR",
                        help="a folder of your own specs instead of the shipped ones")
    parser.add_argument("--test", action="append", dest="tests", default=d["tests"], metavar="NAME",
                        help="run only the test with this name; repeatable")
    parser.add_argument("-j", "--jobs", type=int, default=d["jobs"],
                        help="tests run at the same time, across all students (default: as many as the machine "
                             "has room for, measured as it grades: busy cores, late wake-ups and memory)")
    parser.add_argument("--isolation", choices=[*reversed(isolation.LEVELS), isolation.STRICT],
                        default=d["isolation"],
                        help="the isolation student programs run under. Default (and strict): sandbox, full "
                             "isolation, or refuse to grade; netns or none grade with less, and every output "
                             "says so. With --gradescope the default is the best the container allows")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"settings file (default: ./{config.DEFAULT} when there is one)")
    parser.add_argument("--seed", type=int, default=d["seed"],
                        help="seed for generated conversations (default: each spec's own)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show every student's tests and the conversation of failed ones")
    batch = parser.add_argument_group("a class")
    batch.add_argument("--regrade", "--no-cache", action="store_true", dest="regrade", default=d["regrade"],
                       help="grade again instead of reusing the cache's results, and keep the fresh results in "
                            "the cache in place of what it held (a false result is replaced). With --test, "
                            "the fresh tests replace theirs in each student's cached record of the whole "
                            "assignment (a student with none is graded on all of it)")
    batch.add_argument("--student", action="append", dest="students", default=d["students"], metavar="NAME",
                       help="grade only this student of the class (a folder's or zip's name, as the class "
                            "table shows it); repeatable. The others are left as they are, in the cache too: "
                            "`--regrade --student NAME` regrades one student into the cache")
    batch.add_argument("--cache-dir", default=d["cache_dir"], metavar="DIR",
                       help=f"where results are kept between runs (default: {cache.default_dir()})")
    batch.add_argument("--shard", default=d["shard"], metavar="K/N",
                       help="grade only the K-th of N parts of the class (each student always lands in the "
                            "same part); combine the parts' --json files with `grade merge`")
    gs = parser.add_argument_group("Gradescope")
    gs.add_argument("--gradescope", action="store_true",
                    help="run as Gradescope's run_autograder: grade AUTOGRADER/submission, "
                         "write AUTOGRADER/results/results.json")
    gs.add_argument("--autograder-dir", type=Path, default=Path(os.environ.get("SOCKGRADE_AUTOGRADER_DIR",
                                                                               AUTOGRADER)),
                    metavar="DIR", help="Gradescope's folder (default: $SOCKGRADE_AUTOGRADER_DIR or /autograder)")
    add_output_arguments(parser)


def run(args, console) -> int:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if args.gradescope:
        path = Path(args.path) if args.path else args.autograder_dir / "submission"
    elif args.path:
        path = Path(args.path)
    else:
        raise UsageError("which folder? give a student's folder, a class folder or a zip (or --gradescope)")
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if not path.is_dir() and path.suffix.lower() != ".zip" and not zipfile.is_zipfile(path):
        raise UsageError(f"{path} is neither a folder nor a zip file")
    try:
        settings = config.load(args.config)
    except config.ConfigError as exc:
        raise UsageError(str(exc)) from None
    level = args.isolation or settings.isolation or (isolation.BEST if args.gradescope else None)
    bar = progress.Bar(console) if progress.wanted(console) and not args.gradescope else None
    started = time.monotonic()
    try:
        with bar or nullcontext():
            run_ = api.grade_class(path, specs=args.specs, specs_dir=args.specs_dir, tests=args.tests,
                                   jobs=args.jobs, isolation=level, cache_dir=args.cache_dir,
                                   use_cache=not args.gradescope, regrade=args.regrade,
                                   students=args.students, shard=args.shard,
                                   single=args.gradescope, progress=bar, seed=args.seed,
                                   skip=[p for p in (args.feedback, args.cache_dir) if p])
    except (ValueError, isolation.IsolationUnavailable) as exc:
        raise UsageError(str(exc)) from None
    results = run_.results
    if args.gradescope:
        gradescope.write(stable(results) if args.stable else results,
                         args.autograder_dir / "results" / "results.json", wall_seconds=time.monotonic() - started)
    if run_.single:
        terminal.render(results, console, verbose=args.verbose)
    else:
        terminal.render_class(results, console, verbose=args.verbose)
    line = f"{len(run_.students)} student{'s' if len(run_.students) != 1 else ''}"
    if run_.skipped:
        line += f" in shard {args.shard} ({len(run_.skipped)} in other shards)"
    if run_.unselected:
        line += f" named with --student ({len(run_.unselected)} others left as they are)"
    line += f"; {run_.graded} graded now, {run_.cached} from the cache"
    if args.regrade and not args.gradescope and run_.graded:
        line += "; the fresh results replace the cache's"
        if run_.merged:
            line += f" ({run_.merged} cached record{'s' if run_.merged != 1 else ''} of whole assignments " \
                    "updated with the tests graded now)"
    if not run_.single or run_.cached or args.regrade or run_.unselected:
        console.print(line, highlight=False)
    for warning in run_.warnings:
        console.print(warning, style="yellow", markup=False, highlight=False, soft_wrap=True)
    if run_.interrupted:
        console.print("grading was interrupted: the outputs hold the students graded so far; tests that were "
                      "stopped say 'grading failed' (never kept in the cache)", style="yellow", highlight=False)
    status = write_outputs(results, args, console, title=f"Class report: {path.resolve().name}")
    if run_.interrupted:
        raise run_.interrupted              # exit 130 (Ctrl-C) or 143 (SIGTERM), once the outputs are written
    return status


def write_outputs(results, args, console, title: str) -> int:
    """Write every output asked for; the exit status: 1 when the grader or the machine failed a test
    (it must be graded again: such results are never cached) or ``--fail-under`` says so, else 0.

    ``title`` is the report's title unless ``--title`` says otherwise."""
    if args.stable:
        results = stable(results)
    for path in (args.json, args.csv, args.junit, args.report):
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)
    if args.json:
        json_report.write(results, args.json)
    if args.csv:
        csv_report.write(results, args.csv)
    if args.junit:
        junit_report.write(results, args.junit)
    if args.feedback:
        feedback.write(results, args.feedback)
    if args.report:
        html_report.write(results, args.report, title=args.title or title)
    if args.fail_under is not None:
        low = gradebook.below(gradebook.build(results), args.fail_under)
        if low:
            names = ", ".join(f"{row.student} ({row.percent:g}%{', not fully graded' if row.problems else ''})"
                              for row in low)
            console.print(f"below {args.fail_under:g}%: {names}", highlight=False)
            return 1
    broken = sorted({r.student for r in results if r.infrastructure_failed})
    if broken:
        console.print(f"grading failed for {len(broken)} student{'s' if len(broken) > 1 else ''} "
                      f"({', '.join(broken[:10])}{' ...' if len(broken) > 10 else ''}): the grader or the "
                      "machine failed, not their programs; grade again", style="yellow", highlight=False)
        return 1
    return 0
