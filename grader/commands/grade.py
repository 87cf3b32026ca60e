"""``grade PATH``: grade one student's folder, a class folder, or a zip of either."""
from __future__ import annotations

import difflib
import inspect
import json
import os
import sys
import tempfile
import time
import zipfile
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

from grader.grading import api, cache, marking
from grader.specfile import catalog
from grader.input import config
from grader.commands import UsageError, is_stdout
from grader.commands.options import SEED_MAX, at_least_one, percent, seed, shard
from grader.reporting import (csv_report, feedback, gradebook, gradescope, html_report, json_report,
                              junit_report, lms, progress, terminal)
from grader.formats import MAY_BE_STDOUT, OutputFormat
from grader.reporting.gradebook import Gradebook
from grader.runner import isolation
from grader.reporting.stable import stable
from grader.shown import shown

HELP = "grade a student's folder, a class folder, or a zip of either (the default command)"
AUTOGRADER = "/autograder"


def _defaults(func) -> dict:
    return {k: p.default for k, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty}


def add_output_arguments(parser) -> None:
    """The outputs ``grade`` and ``grade merge`` share."""
    out = parser.add_argument_group("outputs (every one reads the same results; a FILE of - is stdout, "
                                    "and the tables then go to stderr)")
    out.add_argument("--json", type=Path, metavar="FILE",
                     help="every (student, assignment) record as JSON, sorted by student and assignment")
    out.add_argument("--csv", type=Path, metavar="FILE",
                     help="gradebook: a row per student, a column per assignment, total (UTF-8 with BOM, for Excel)")
    out.add_argument("--junit", type=Path, metavar="FILE",
                     help="JUnit XML (valid against the Ant/Jenkins and pytest schemas): a testsuite per "
                          "(student, assignment), a testcase per test; a bonus not earned is skipped, not failed")
    out.add_argument("--feedback", type=Path, metavar="DIR", help="one Markdown file per student")
    out.add_argument("--report", type=Path, metavar="FILE.html", help="a self-contained HTML class report")
    out.add_argument("--moodle", type=Path, metavar="FILE.csv",
                     help="a Moodle grading worksheet to upload (one per assignment, FILE-ID.csv, when several); "
                          "students need Moodle's participant id, from its download's folder names")
    out.add_argument("--canvas", type=Path, metavar="FILE.csv",
                     help="a Canvas gradebook import; students need Canvas's user id, from its download's file names")
    out.add_argument("--title", metavar="TEXT",
                     help="the report's title (default: \"Class report: \" and the class folder's name; "
                          "for `grade merge`, \"Class report\")")
    out.add_argument("--stable", action="store_true",
                     help="leave out what differs between two runs of the same class (durations, conversation "
                          "times, ephemeral ports, temporary paths, the output of a program several clients "
                          "talked to at once), so that grading it twice writes byte-identical files")
    out.add_argument("--fail-under", type=percent, metavar="PERCENT",
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
                        help="run only the test with exactly this name; repeatable (`grade list` shows the names)")
    parser.add_argument("-k", action="append", dest="keywords", default=[], metavar="TEXT",
                        help="run only the tests whose name contains TEXT, in any case (as pytest's -k); "
                             "repeatable: a test matching any of them runs; with --test, both kinds run")
    parser.add_argument("-j", "--jobs", type=at_least_one, default=d["jobs"],
                        help="tests run at the same time, across all students (default: as many as the machine "
                             "has room for, measured as it grades: busy cores, late wake-ups and memory)")
    parser.add_argument("--isolation", choices=[c.value for c in isolation.CHOICES],  # words: argparse repr()s them
                        default=d["isolation"],
                        help="the isolation student programs run under. Default (and strict): sandbox, full "
                             "isolation, or refuse to grade; netns or none grade with less, and every output "
                             "says so. With --gradescope the default is the best the container allows")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"the course file (default: ./{config.DEFAULT} when there is one; `grade new-course` "
                         "writes one): the course's assignments, due dates, policies, default outputs")
    add_similar_argument(parser)
    parser.add_argument("--seed", type=seed, default=d["seed"],
                        help=f"seed for generated conversations, 0 to {SEED_MAX} (default: each spec's own)")
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
    batch.add_argument("--shard", type=shard, default=d["shard"], metavar="K/N",
                       help="grade only the K-th of N parts of the class (its students sorted by name and dealt "
                            "in turn: parts differ by at most one student); combine the parts' --json files with "
                            "`grade merge`, which refuses a part missing or given twice")
    gs = parser.add_argument_group("Gradescope")
    gs.add_argument("--gradescope", action="store_true",
                    help="run as Gradescope's run_autograder: grade AUTOGRADER/submission, "
                         "write AUTOGRADER/results/results.json")
    gs.add_argument("--autograder-dir", type=Path, default=Path(os.environ.get("SOCKGRADE_AUTOGRADER_DIR",
                                                                               AUTOGRADER)),
                    metavar="DIR", help="Gradescope's folder (default: $SOCKGRADE_AUTOGRADER_DIR or /autograder)")
    add_output_arguments(parser)


def run(args, console) -> int:
    check_outputs(args)
    path = _class_path(args)
    settings = course_settings(args)
    specs = args.specs or ([a.spec for a in settings.assignments] if settings.is_course else None)
    course = course_of(settings, args.specs_dir, args.similar)
    level = args.isolation or settings.isolation or (isolation.Request.BEST if args.gradescope else None)
    tests = selected_tests(args)
    bar = progress.Bar(console) if progress.wanted(console) and not args.gradescope else None
    started = time.monotonic()
    try:
        with bar or nullcontext():
            run_ = api.grade_class(path, specs=specs, specs_dir=args.specs_dir, tests=tests,
                                   jobs=args.jobs or settings.jobs, isolation=level, cache_dir=args.cache_dir,
                                   use_cache=not args.gradescope, regrade=args.regrade,
                                   students=args.students, shard=args.shard,
                                   single=args.gradescope, progress=bar, seed=args.seed,
                                   skip=[p for p in (args.feedback, args.cache_dir) if p])
    except (ValueError, isolation.IsolationUnavailable) as exc:
        raise UsageError(str(exc)) from None
    results = run_.results
    book = marking.build(results, course)
    if args.gradescope:
        # --stable: no wall time either (Gradescope's execution_time), so that two runs write the same file.
        gradescope.write(stable(results) if args.stable else results, args.autograder_dir / "results" / "results.json",
                         wall_seconds=0.0 if args.stable else time.monotonic() - started)
    if run_.single:
        terminal.render(results, console, verbose=args.verbose)
    else:
        terminal.render_class(results, book, console, verbose=args.verbose)
    if not run_.single or run_.cached or args.regrade or run_.unselected:
        console.print(_summary(run_, args), highlight=False)
    terminal.footer(console, results)
    for warning in run_.warnings:
        console.print(shown(warning), style="yellow", markup=False, highlight=False)
    if run_.interrupted:
        console.print("grading was interrupted: the outputs hold the students graded so far; tests that were "
                      "stopped say 'grading failed' (never kept in the cache)", style="yellow", highlight=False)
    status = write_outputs(results, book, args, console, title=f"Class report: {path.resolve().name}")
    if run_.interrupted:
        raise run_.interrupted              # exit 130 (Ctrl-C) or 143 (SIGTERM), once the outputs are written
    return status


def _class_path(args) -> Path:
    """What to grade: PATH, or Gradescope's submission folder."""
    if args.gradescope:
        path = Path(args.path) if args.path else args.autograder_dir / "submission"
    elif args.path:
        path = Path(args.path)
    else:
        raise UsageError("which folder? give a student's folder, a class folder or a zip (or --gradescope)")
    if not path.exists():
        raise UsageError(f"{path} does not exist" + _command_hint(args.path))
    if not path.is_dir() and path.suffix.lower() != ".zip" and not zipfile.is_zipfile(path):
        raise UsageError(f"{path} is neither a folder nor a zip file")
    return path


def _summary(run_, args) -> str:
    """The line under the table: how many students, graded now or from the cache."""
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
    return line


def _command_hint(typed: str | None) -> str:
    """" (did you mean `grade list`?)" when a path that does not exist looks like a command's name."""
    from grader.commands.parser import SUBCOMMANDS
    close = difflib.get_close_matches(str(typed or ""), list(SUBCOMMANDS), n=1, cutoff=0.75)
    return f" (did you mean `grade {close[0]}`?)" if close else ""


def selected_tests(args) -> list[str] | None:
    """The exact names ``--test`` gave, and those of every test ``-k`` matches (None: every test).

    ``-k TEXT`` matches a test whose name contains TEXT in any case, among the specs the run may
    grade (``--spec``, else every spec); one that matches none is a mistake, shown with the tests."""
    if not args.keywords:
        return args.tests
    folder = Path(args.specs_dir) if args.specs_dir else None
    specs = catalog.resolve(args.specs, folder) if args.specs else catalog.load_all(folder)
    names = list(dict.fromkeys(t.name for s in specs for t in s.tests))
    chosen = list(args.tests or [])
    for keyword in args.keywords:
        matched = [name for name in names if keyword.casefold() in name.casefold()]
        if not matched:
            listed = "\n".join(f"  {s.id}: " + "; ".join(t.name for t in s.tests) for s in specs)
            raise UsageError(f"-k {keyword!r} matches no test (a part of a test's name, in any case) of "
                             f"{', '.join(s.id for s in specs)}; the tests:\n{listed}")
        chosen += matched
    return list(dict.fromkeys(chosen))


def check_outputs(args) -> None:
    """Before grading: at most one output on stdout, and never a folder there."""
    if is_stdout(args.feedback):
        raise UsageError("--feedback writes a folder of files, so it cannot be - (stdout): give a folder")
    on_stdout = [f"--{name}" for name in MAY_BE_STDOUT if is_stdout(getattr(args, name))]
    if len(on_stdout) > 1:
        raise UsageError(f"{' and '.join(on_stdout)} each say - (stdout), where only one output fits: "
                         "give the others a file")


def course_settings(args) -> config.Config:
    """The course file's settings; its outputs fill in the output options not given."""
    try:
        settings = config.load(args.config)
    except config.ConfigError as exc:
        raise UsageError(str(exc)) from None
    for name, path in settings.outputs.items():
        if getattr(args, name, None) is None:
            setattr(args, name, path)
    return settings


def add_similar_argument(parser) -> None:
    parser.add_argument("--similar", type=Path, metavar="FILE.json",
                        help="what `grade similar --json` wrote: the students whose code is alike (identical, or "
                             f"{round(marking.SIMILAR_FLAG * 100)}%% or more) are named in each other's problems (default: "
                             "the course file's [outputs] similar, when that file exists)")


def course_of(settings: config.Config, specs_dir=None, similar: Path | None = None) -> marking.Course | None:
    """The gradebook's course: the course file's assignments (its specs loaded) and policies, and the
    students alike from a `grade similar --json` file."""
    alike = _alike(similar)
    if not settings.source:
        return marking.Course(similar=alike) if alike else None
    folder = Path(specs_dir) if specs_dir else None
    try:
        specs = catalog.resolve([a.spec for a in settings.assignments], folder) if settings.is_course else []
    except ValueError as exc:
        raise UsageError(f"{settings.source}: {exc}") from None
    if not specs:
        return marking.Course(bonus=settings.bonus, misnamed_penalty=settings.misnamed_penalty,
                                late=settings.late, similar=alike)
    return replace(marking.course_from(settings, specs), similar=alike)


def _alike(path: Path | None) -> dict[str, list[str]]:
    """``similar_from`` the file, if there is one (the course file's may not be written yet)."""
    if path is None or not path.exists():
        return {}
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"))
        return marking.similar_from(pairs)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise UsageError(f"--similar {path}: not a file written by `grade similar --json`") from None


def write_outputs(results, book: Gradebook, args, console, title: str) -> int:
    """Write every output asked for; the exit status: 1 when the grader or the machine failed a test
    (it must be graded again: such results are never cached) or ``--fail-under`` says so, else 0.

    ``book`` is the run's gradebook (``marking.build``). ``title`` is the report's title unless ``--title`` says otherwise. A FILE of ``-`` is written to
    stdout. An output that cannot be written is a UsageError once the others are written."""
    check_outputs(args)
    if args.stable:
        results = stable(results)
    written_at = None if args.stable else junit_report.now()
    writers = {
        OutputFormat.JSON: lambda path: json_report.write(results, path, book),
        OutputFormat.CSV: lambda path: csv_report.write(results, book, path),
        OutputFormat.JUNIT: lambda path: junit_report.write(results, path, timestamp=written_at, book=book),
        OutputFormat.REPORT: lambda path: html_report.write(results, book, path, title=args.title or title),
        OutputFormat.MOODLE: lambda path: _left_out(console, "--moodle",
                                                     lms.write_moodle(book, path, feedback=bool(args.feedback))[1]),
        OutputFormat.CANVAS: lambda path: _left_out(console, "--canvas", lms.write_canvas(book, path)),
    }
    problems = []
    for name, writer in writers.items():
        path = getattr(args, name, None)
        if path:
            problems += _write(f"--{name}", path, writer)
    if args.feedback:
        problems += _write("--feedback", args.feedback, lambda folder: feedback.write(results, book, folder),
                           folder=True)
    status = 0
    if args.fail_under is not None:
        low = gradebook.below(book, args.fail_under)
        if low:
            names = ", ".join(f"{row.student} ({gradebook.percent(row.percent)}%{'' if row.graded else ', not fully graded'})"
                              for row in low)
            console.print(f"below {args.fail_under:g}%: {shown(names)}", markup=False, highlight=False)
            status = 1
    broken = sorted({r.student for r in results if r.infrastructure_failed})
    if broken and not status:
        console.print(f"grading failed for {len(broken)} student{'s' if len(broken) > 1 else ''} "
                      f"({shown(', '.join(broken[:10]))}{' ...' if len(broken) > 10 else ''}): the grader or "
                      "the machine failed, not their programs; grade again", style="yellow", markup=False,
                      highlight=False)
        status = 1
    if problems:
        raise UsageError("; ".join(problems) + " (the other outputs were written)")
    return status


def _left_out(console, option: str, students: list[str]) -> None:
    if students:
        console.print(f"{option}: left out {len(students)} student{'s' if len(students) > 1 else ''} without "
                      f"the platform's id ({shown(', '.join(students[:10]))}{' ...' if len(students) > 10 else ''}): "
                      "grade the platform's own download, whose names carry the ids", style="yellow",
                      markup=False, highlight=False)


def _write(option: str, path: Path, writer, folder: bool = False) -> list[str]:
    """Run ``writer`` on ``path`` (on a scratch file copied to stdout for -); [] or what went wrong."""
    if is_stdout(path):
        with tempfile.TemporaryDirectory(prefix="sockgrade-stdout-") as scratch:
            target = Path(scratch) / "output"
            writer(target)
            data = target.read_bytes()
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        if out is None:                             # a text-only stdout (an embedding program's)
            sys.stdout.write(data.decode("utf-8"))
        else:
            out.write(data)
            out.flush()
        return []
    try:
        (path if folder else path.parent).mkdir(parents=True, exist_ok=True)
        writer(path)
    except OSError as exc:
        return [f"{option} {path}: cannot write it ({exc.strerror or exc})"]
    return []
