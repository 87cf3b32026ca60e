#!/usr/bin/env python3
"""Build the zip to upload as a Gradescope autograder: ``python3 gradescope/make_zip.py [OUT.zip] [SPEC.yaml...]``.

The zip holds setup.sh and run_autograder at its root (where Gradescope looks),
the sockgrade project that setup.sh installs, and any spec files you name
(at the zip's root, so SPECS=(myspec.yaml) in run_autograder finds them).
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
INCLUDED = ["pyproject.toml", "README.md", "grader", "specs", "reference"]


def build(out: Path, extra_specs: list[Path]) -> list[str]:
    names = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for script in ("setup.sh", "run_autograder"):
            info = zipfile.ZipInfo(script)
            info.external_attr = 0o100755 << 16
            z.writestr(info, (HERE / script).read_bytes())
            names.append(script)
        for entry in INCLUDED:
            path = PROJECT / entry
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for f in files:
                if "__pycache__" in f.parts or f.suffix == ".pyc":
                    continue
                name = f.relative_to(PROJECT).as_posix()
                z.write(f, name)
                names.append(name)
        for spec in extra_specs:
            z.write(spec, spec.name)
            names.append(spec.name)
    return names


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("autograder.zip")
    names = build(out, [Path(p) for p in sys.argv[2:]])
    print(f"{out}: {len(names)} files; upload it as the autograder of a Gradescope programming assignment")
