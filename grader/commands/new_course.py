"""``grade new-course [FILE]``: write a commented course file to start a term from.

The file (``sockgrade.toml`` by default, which ``grade`` reads from the current
folder) declares the four shipped assignments with due dates, the late, bonus
and misnamed-file policies and the outputs written on every run; every setting
is explained in a comment. It is loaded once written, so what it writes is
known to be valid.
"""
from __future__ import annotations

from pathlib import Path

from grader.input import config
from grader.commands import UsageError

HELP = "write a commented course file (sockgrade.toml): assignments, due dates, policies, outputs"


def add_arguments(parser) -> None:
    parser.add_argument("file", nargs="?", type=Path, default=Path(config.DEFAULT),
                        help=f"where to write it (default: ./{config.DEFAULT}, which grade reads)")
    parser.add_argument("--force", action="store_true", help="replace the file if it exists")


def run(args, console) -> int:
    path: Path = args.file
    if path.exists() and not args.force:
        raise UsageError(f"{path} exists already; --force replaces it")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config.COMMENTED, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    course = config.load(path)
    console.print(f"wrote {path}: {len(course.assignments)} assignments "
                  f"({', '.join(a.spec for a in course.assignments)}); edit the due dates and policies, "
                  f"then run `grade CLASS` in {path.parent.resolve()}", highlight=False, soft_wrap=True)
    return 0
