"""The Python API; the CLI is a thin layer over these functions and shares their defaults."""
from __future__ import annotations

from pathlib import Path

from grader import catalog, discover
from grader.engine import Engine
from grader.results import AssignmentResult
from grader.spec import Spec


def pick_specs(submission: Path, specs: list[Spec]) -> list[Spec]:
    return [s for s in specs if discover.applies(submission, s)]


def grade_submission(path: str | Path, *, specs: list[str] | None = None, specs_dir: str | None = None,
                     jobs: int | None = None, isolation: str | None = None,
                     seed: int | None = None) -> list[AssignmentResult]:
    """Grade one student's folder against the named specs, or every spec whose files are present."""
    submission = Path(path)
    chosen = catalog.resolve(specs, specs_dir and Path(specs_dir)) if specs else \
        pick_specs(submission, catalog.load_all(specs_dir and Path(specs_dir)))
    with Engine(jobs=jobs, isolation=isolation, seed=seed) as engine:
        return engine.grade_all([(submission, spec, None) for spec in chosen])
