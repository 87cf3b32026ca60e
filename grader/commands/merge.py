"""``grade merge RESULT.json...``: combine the ``--json`` files of shards into the outputs of one run.

Every record a shard writes carries K, N, the class's size and a digest of its
student list (``extra["shard"]``, see ``grader.grading.batch.shard_mark``), so merge
refuses, with exit status 1 and nothing written, a set of files that is not one
class's whole: a shard missing or given twice, shards of another class or cut
into another N, shard files mixed with files graded without ``--shard``.
Students are dealt to shards in turn, so the shards past the class's size are
empty and never missing (their files, empty lists, may be given or left out).
The marks are left out of the merged outputs: they are what one run over the
whole class would have written. Files graded without ``--shard`` merge as
before, each (student, assignment) once.

Each record keeps the isolation level it was graded at, so the merged outputs
warn about results graded below full isolation as the shards' own outputs do
(the warning's text is made again from the level, not copied from the file).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from grader.input import config
from grader.grading import marking
from grader.grading.batch import SHARD, shard_sizes
from grader.commands import UsageError, print_error
from grader.commands.grade import (add_output_arguments, add_similar_argument, course_of, course_settings,
                                   write_outputs)
from grader.reporting import terminal
from grader.results import AssignmentResult

HELP = "combine the --json results of `grade --shard K/N` runs into the outputs of a single run"
REFUSED = 1          # the exit status when the files are not one class's whole set
PROG = "grade merge"


class Refused(Exception):
    """The files given are not one class's whole set of results; ``problems`` say what is wrong."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def add_arguments(parser) -> None:
    parser.add_argument("inputs", nargs="+", type=Path, metavar="RESULT.json",
                        help="files written by `grade ... --json`: every shard of one run (`--shard K/N`, "
                             "each K once), or files graded without --shard")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"the course file (default: ./{config.DEFAULT} when there is one): its assignments "
                             "and policies make the gradebook, its outputs fill in those not given")
    add_similar_argument(parser)
    add_output_arguments(parser)


def read(path: Path) -> list[AssignmentResult]:
    """The records of one ``--json`` file (UsageError when it is none)."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        loaded = [AssignmentResult.from_dict(r) for r in records]
        for result in loaded:
            result.extra.pop("isolation_warning", None)     # written by --json; made again from the level
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UsageError(f"{path} is not a results file written by `grade --json`") from None
    for result in loaded:
        mark = result.extra.get(SHARD)
        if mark is not None and not _well_formed(mark):
            raise UsageError(f"{path}: the record of {result.student} / {result.assignment or 'nothing graded'} "
                             f"has a damaged `extra_data.shard` ({json.dumps(mark)}): grade that shard again")
    return loaded


def _well_formed(mark) -> bool:
    if not isinstance(mark, dict) or not isinstance(mark.get("class"), str):
        return False
    k, n, students = (mark.get(key) for key in ("k", "n", "students"))
    return all(type(x) is int for x in (k, n, students)) and 1 <= k <= n and students >= 0


def load(paths: list[Path]) -> list[AssignmentResult]:
    """Every record of the files, sorted, the shard marks left out; Refused when the files are not
    one class's whole set (see the module's docstring)."""
    files = [(path, read(path)) for path in paths]
    problems = whole_set_problems(files)
    if problems:
        raise Refused(problems)
    seen: dict[tuple[str, str], Path] = {}
    results = []
    for path, loaded in files:
        for result in loaded:
            key = (result.student, result.assignment)
            if key in seen:
                raise Refused([f"{result.student} / {result.assignment or 'nothing graded'} is in both "
                               f"{seen[key]} and {path}: give each file once"])
            seen[key] = path
            result.extra.pop(SHARD, None)
            results.append(result)
    return sorted(results, key=lambda r: (r.student, r.assignment))


def whole_set_problems(files: list[tuple[Path, list[AssignmentResult]]]) -> list[str]:
    """What makes the files something other than one class's whole set of results ([] when nothing)."""
    if not any(loaded for _, loaded in files):
        return [f"no results in {_listed([p for p, _ in files])}: nothing to merge (a shard with no students "
                "writes an empty file; give the files of the other shards too)"]
    marks: dict[tuple[int, str], tuple[Path, dict | None]] = {}     # (file's place, mark) -> (file, mark)
    for place, (path, loaded) in enumerate(files):
        for result in loaded:
            mark = result.extra.get(SHARD)
            marks.setdefault((place, json.dumps(mark, sort_keys=True)), (path, mark))
    plain = [path for path, mark in marks.values() if mark is None]
    shards = [(path, mark) for path, mark in marks.values() if mark is not None]
    if plain and shards:
        path, mark = shards[0]
        return [f"{plain[0]} holds results graded without --shard and {path} those of shard {_name(mark)}: "
                "merge either every shard of one run or files graded without --shard, not both"]
    if not shards:
        return []
    first_path, first = shards[0]
    for path, mark in shards[1:]:
        if mark["class"] != first["class"]:
            return [f"{first_path} and {path} are shards of different classes ({_of(first, mark)}): "
                    "merge the shards of one class, all graded from the same class folder or zip"]
    for path, mark in shards[1:]:
        if mark["n"] != first["n"]:
            return [f"{first_path} is shard {_name(first)} and {path} shard {_name(mark)}: the class was cut "
                    "into different numbers of shards; grade every shard with the same N"]
    n = first["n"]
    where: dict[int, list[Path]] = {}
    for path, mark in shards:
        where.setdefault(mark["k"], []).append(path)
    problems = [f"shard {k}/{n} is given twice: {' and '.join(map(str, paths))}; give each shard's file once"
                for k, paths in sorted(where.items()) if len(paths) > 1]
    sizes = shard_sizes(first["students"], n)
    missing = [k for k in range(1, n + 1) if sizes[k - 1] and k not in where]
    if missing:
        held = sum(sizes[k - 1] for k in missing)
        commands = ", ".join(f"`grade CLASS --shard {k}/{n} --json FILE`" for k in missing[:3])
        problems.append(
            f"{_shards(missing, n)} {'is' if len(missing) == 1 else 'are'} missing: {held} of the class's "
            f"{first['students']} students are in none of the files given; grade "
            f"{'it' if len(missing) == 1 else 'them'} ({commands}{', ...' if len(missing) > 3 else ''}) "
            "and merge again with every shard's file")
    return problems


def _name(mark: dict) -> str:
    return f"{mark['k']}/{mark['n']}"


def _shards(ks: list[int], n: int) -> str:
    named = [f"{k}/{n}" for k in ks]
    if len(named) == 1:
        return f"shard {named[0]}"
    return "shards " + ", ".join(named[:-1]) + f" and {named[-1]}"


def _of(one: dict, other: dict) -> str:
    if one["students"] != other["students"]:
        return f"one of {one['students']} students, one of {other['students']}"
    return f"both of {one['students']} students, but not the same names"


def _listed(paths: list[Path]) -> str:
    return ", ".join(map(str, paths[:5])) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def run(args, console) -> int:
    try:
        results = load(args.inputs)
    except Refused as refused:       # on stderr, each as grader.cli shows a UsageError
        for problem in refused.problems:
            print_error(PROG, problem)
        print(f"{PROG}: nothing was merged and no output was written", file=sys.stderr, flush=True)
        return REFUSED
    settings = course_settings(args)
    book = marking.build(results, course_of(settings, similar=args.similar))
    terminal.render_class(results, book, console)
    terminal.footer(console, results)
    return write_outputs(results, book, args, console, title="Class report")
