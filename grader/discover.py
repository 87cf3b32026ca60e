"""Which files of a submission play which role, and which specs apply."""
from __future__ import annotations

from pathlib import Path

MAX_DEPTH = 2    # a zip often wraps the files in one or two folders


def find_role_file(submission: Path, names) -> Path | None:
    """The shallowest file whose name matches one of ``names`` (case-insensitive)."""
    wanted = {n.lower() for n in names}
    level = [submission]
    for _ in range(MAX_DEPTH + 1):
        found = sorted(p for d in level for p in d.iterdir() if p.is_file() and p.name.lower() in wanted)
        if found:
            return found[0]
        level = sorted(p for d in level for p in d.iterdir()
                       if p.is_dir() and not p.name.startswith((".", "__")))
    return None


def role_files(submission: Path, spec) -> dict[str, Path | None]:
    return {name: find_role_file(submission, role.files) for name, role in spec.roles.items()}


def applies(submission: Path, spec) -> bool:
    """A spec applies when the student handed in a file for any of its roles."""
    return any(path is not None for path in role_files(submission, spec).values())
