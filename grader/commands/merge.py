"""``grade merge RESULT.json...``: combine the ``--json`` files of shards into the outputs of one run.

Each record keeps the isolation level it was graded at, so the merged outputs
warn about results graded below full isolation as the shards' own outputs do
(the warning's text is made again from the level, not copied from the file).
"""
from __future__ import annotations

import json
from pathlib import Path

from grader.commands import UsageError
from grader.commands.grade import add_output_arguments, write_outputs
from grader.reporting import terminal
from grader.results import AssignmentResult

HELP = "combine the --json results of `grade --shard K/N` runs into the outputs of a single run"


def add_arguments(parser) -> None:
    parser.add_argument("inputs", nargs="+", type=Path, metavar="RESULT.json",
                        help="files written by `grade ... --json`")
    add_output_arguments(parser)


def load(paths: list[Path]) -> list[AssignmentResult]:
    seen: dict[tuple[str, str], Path] = {}
    results = []
    for path in paths:
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
            key = (result.student, result.assignment)
            if key in seen:
                raise UsageError(f"{result.student} / {result.assignment or 'nothing graded'} is in both "
                                 f"{seen[key]} and {path}: were two shards given the same K?")
            seen[key] = path
            results.append(result)
    return sorted(results, key=lambda r: (r.student, r.assignment))


def run(args, console) -> int:
    results = load(args.inputs)
    terminal.render_class(results, console)
    return write_outputs(results, args, console, title="Class report")
