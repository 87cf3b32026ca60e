"""Finding specs by id or file, from the shipped folder or a teacher's own."""
from __future__ import annotations

from pathlib import Path

from grader.paths import shipped_specs_dir
from grader.spec import Spec
from grader.specfile import SpecError, load_spec


def spec_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


def load_all(folder: Path | None = None) -> list[Spec]:
    folder = Path(folder) if folder else shipped_specs_dir()
    if not folder.is_dir():
        raise SpecError(folder, "no such specs folder")
    return [load_spec(p) for p in spec_files(folder)]


def resolve(names: list[str], folder: Path | None = None) -> list[Spec]:
    """Each name is a spec file path or the id of a spec in ``folder``."""
    specs = []
    known = None
    for name in names:
        path = Path(name)
        if path.suffix in (".yaml", ".yml") or path.is_file():
            specs.append(load_spec(path))
            continue
        if known is None:
            known = {s.id: s for s in load_all(folder)}
        if name not in known:
            raise SpecError(folder or shipped_specs_dir(), f"no spec with id {name!r}",
                            hint="known ids: " + ", ".join(sorted(known)) + "; a spec of your own: give its "
                                 "file's path (--spec path/to/spec.yaml), or its folder with --specs-dir DIR")
        specs.append(known[name])
    return specs
