#!/usr/bin/env python3
"""Build the zip to upload as a Gradescope autograder:
``python3 gradescope/make_zip.py [OUT.zip] [SPEC.yaml | SHIPPED-ID ...]``.

The zip holds setup.sh and run_autograder at its root (where Gradescope looks),
the sockgrade project that setup.sh installs (the shipped specs come with it),
and under ``assignment/`` each spec file named with the reference programs it
names, laid out as they are around the spec, so the spec finds them on
Gradescope as it does here. ``SPECS`` in the zip's run_autograder lists the
specs named; with none, it is left empty (the student's file names decide).

Every spec is loaded before anything is written: a spec with an error or a
missing reference program is refused with its file, line and key, and the zip
is made again from its own copy to see that each spec still loads there.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
INCLUDED = ["pyproject.toml", "README.md", "grader", "specs", "reference"]
ASSIGNMENT = "assignment"          # the folder of the zip that holds the specs named and their files
# The apt packages (Ubuntu's and Debian's names, comma-separated) of each program a spec's build: or run:
# commands may start, which Gradescope's image may lack; None: there already (setup.sh needs Python, bash
# and coreutils). A C compiler without libc6-dev has no <stdio.h>: apt brings it only as a recommendation,
# which setup.sh does not install.
PACKAGES = {"gcc": "build-essential", "cc": "build-essential", "g++": "build-essential",
            "c++": "build-essential", "make": "build-essential", "clang": "clang,libc6-dev",
            "javac": "default-jdk-headless", "java": "default-jre-headless", "rustc": "rustc", "cargo": "cargo",
            "go": "golang-go", "node": "nodejs", "ruby": "ruby", "perl": "perl", "ghc": "ghc",
            "python3": None, "python": None, "bash": None, "sh": None, "env": None}


class PackError(Exception):
    """A reason the zip cannot be made, for the teacher (never a traceback)."""


def _import_grader():
    """The checkout's own loader: it needs pyyaml and jsonschema, which a bare ``python3`` may lack;
    then the python that runs ``grade`` (whose dependencies are there) runs this script instead."""
    sys.path.insert(0, str(PROJECT))
    try:
        import jsonschema  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as exc:
        python = _python_of(shutil.which("grade"))
        if python and not os.environ.get("SOCKGRADE_MAKE_ZIP_AGAIN"):
            os.environ["SOCKGRADE_MAKE_ZIP_AGAIN"] = "1"
            os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])
        venv = PROJECT / ".venv" / "bin" / "python"
        where = f" ({venv})" if venv.exists() else f", or first `python3 -m pip install -e {PROJECT}`"
        raise PackError(f"this python ({sys.executable}) lacks {exc.name}, which reading specs needs: run "
                        f"make_zip.py with the python where sockgrade is installed{where}") from None


def _python_of(script: str | None) -> str | None:
    """The interpreter on a console script's ``#!`` line."""
    if not script:
        return None
    try:
        first = Path(script).read_bytes()[:400].split(b"\n", 1)[0].decode()
    except (OSError, UnicodeDecodeError):
        return None
    python = first[2:].strip() if first.startswith("#!") else ""
    return python if python and " " not in python and os.access(python, os.X_OK) else None


def project_files() -> dict[str, Path]:
    """Zip name -> file, for the sockgrade project that setup.sh installs."""
    files = {}
    for entry in INCLUDED:
        path = PROJECT / entry
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for f in found:
            if "__pycache__" not in f.parts and f.suffix != ".pyc":
                files[f.relative_to(PROJECT).as_posix()] = f
    return files


def spec_files(spec_path: Path) -> tuple[str, dict[str, Path]]:
    """The spec's zip name, and zip name -> file for the spec and every file it names.

    A reference is found where the loader looks, relative to the spec as written (symlinks followed
    when reading it): the spec and its files keep that layout under ``assignment/``, from the
    lowest folder that holds them all (``../reference/x.py`` keeps the folder above the spec).
    """
    from grader.specfile import SpecError, load_spec
    from grader.specfile.loader import read_spec_text
    from grader.spec.yaml_marks import format_path, line_of, load_with_lines

    spec = load_spec(spec_path)         # a missing reference program: SpecError at its line and key
    data, lines = load_with_lines(read_spec_text(spec_path), spec_path)
    folder = Path(os.path.abspath(spec_path)).parent
    written = {folder / spec_path.name: spec_path}      # where the spec says -> what to read
    for name, role in spec.roles.items():
        ref = data["roles"][name].get("reference")
        if not ref:
            continue
        key = ("roles", name, "reference")
        if Path(ref).is_absolute():
            raise SpecError(spec_path, f"reference program {ref!r} is an absolute path, which Gradescope's "
                            "machine does not have", path=format_path(key), line=line_of(lines, key),
                            hint="write it relative to the spec (e.g. reference/server.py), so that the "
                                 "zip can carry it")
        written[Path(os.path.normpath(folder / ref))] = role.reference
    base = Path(os.path.commonpath([folder, *written]))
    files = {f"{ASSIGNMENT}/{where.relative_to(base).as_posix()}": source for where, source in written.items()}
    return f"{ASSIGNMENT}/{(folder / spec_path.name).relative_to(base).as_posix()}", files


def shipped_ids() -> set[str]:
    from grader.specfile import catalog
    return {spec.id for spec in catalog.load_all(PROJECT / "specs")}


def needs_of(spec) -> list[str]:
    """setup.sh's NEEDS for a spec: "program:package" for each program its commands start."""
    from grader.runner.toolchain import commands_of
    needs = []
    for program in commands_of(f for r in spec.roles.values() for f in r.forms):
        name = Path(program).name
        if name not in PACKAGES:
            raise PackError(f"{spec.id}: its commands start {program}, and setup.sh would not know which apt "
                            f"package brings it on Gradescope (it knows {', '.join(sorted(PACKAGES))})")
        if PACKAGES[name]:
            needs.append(f"{name}:{PACKAGES[name]}")
    return needs


def plan(names: list[str]) -> tuple[list[str], dict[str, Path], list[str]]:
    """What run_autograder's SPECS lists, zip name -> file of the specs named and their files, and
    setup.sh's NEEDS."""
    specs, files, needs = [], {}, []
    shipped = None
    for name in names:
        path = Path(name)
        if path.suffix not in (".yaml", ".yml") and not path.exists():
            shipped = shipped if shipped is not None else shipped_ids()
            if name not in shipped:
                raise PackError(f"{name}: neither a spec file nor the id of a shipped spec "
                                f"(shipped: {', '.join(sorted(shipped))})")
            specs.append(name)          # installed with sockgrade: nothing to pack
            continue
        if not path.is_file():
            raise PackError(f"{name}: no such spec file")
        spec_name, found = spec_files(path)
        needs += needs_of(load_spec_of(path))
        for zip_name, source in found.items():
            if zip_name in files and not _same_bytes(files[zip_name], source):
                raise PackError(f"{name} and an earlier spec both need {zip_name!r} in the zip, with different "
                                f"contents ({files[zip_name]} and {source}): pack them in separate zips, or "
                                "give the files different names")
            files[zip_name] = source
        specs.append(spec_name)
    return specs, files, list(dict.fromkeys(needs))


def load_spec_of(path: Path):
    from grader.specfile import load_spec
    return load_spec(path)


def _same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


def with_list(script: str, name: str, values: list[str], file: str = "run_autograder") -> str:
    """``script`` with its ``NAME=()`` line listing ``values``."""
    line = f"{name}=(" + " ".join(shlex.quote(v) for v in values) + ")"
    text, count = re.subn(rf"^{name}=\(.*\)$", lambda _: line, script, count=1, flags=re.M)
    if count != 1:
        raise PackError(f"{HERE / file} has no `{name}=(...)` line to fill in")
    return text


def build(out: Path, names: list[str] = ()) -> list[str]:
    """Write the zip (only once every spec named is known good); returns the names it holds.
    With specs named, grader must be importable (``_import_grader``)."""
    specs, assignment, needs = plan(names)
    scripts = {"setup.sh": (HERE / "setup.sh").read_text(encoding="utf-8"),
               "run_autograder": (HERE / "run_autograder").read_text(encoding="utf-8")}
    if specs:
        scripts["run_autograder"] = with_list(scripts["run_autograder"], "SPECS", specs)
    if needs:
        scripts["setup.sh"] = with_list(scripts["setup.sh"], "NEEDS", needs, "setup.sh")
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            for name, text in scripts.items():
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o100755 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, text.encode("utf-8"))
            for name, source in {**project_files(), **assignment}.items():
                z.write(source, name)
            held = z.namelist()
        check_unpacked(partial, [s for s in specs if s.startswith(ASSIGNMENT + "/")])
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return held


def check_unpacked(zip_path: Path, specs: list[str]) -> None:
    """Each spec loads from the zip's own copy and finds its reference programs inside it."""
    if not specs:
        return
    from grader.specfile import SpecError, load_spec
    with tempfile.TemporaryDirectory(prefix="sockgrade-zip-") as tmp:
        source = Path(tmp).resolve()
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(source, [n for n in z.namelist() if n.startswith(ASSIGNMENT + "/")])
        for name in specs:
            try:
                spec = load_spec(source / name)
            except SpecError as exc:
                raise PackError(f"{name}: in the zip the spec does not load: {exc.message}") from None
            outside = [str(r.reference) for r in spec.roles.values()
                       if r.reference and not r.reference.is_relative_to(source)]
            if outside:
                raise PackError(f"{name}: in the zip the spec still reads {', '.join(outside)} from this "
                                "machine: keep reference programs in the spec's folder or a `reference` "
                                "folder beside it")


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0
    out, names = Path("autograder.zip"), argv
    if argv and argv[0].lower().endswith(".zip"):
        out, names = Path(argv[0]), argv[1:]
    refused = (PackError,)          # and, once the loader is imported, a spec's own error
    try:
        if names:
            _import_grader()
            from grader.spec import SpecError
            refused = (PackError, SpecError)
        held = build(out, names)
    except refused as exc:              # a SpecError names the spec's file, line and key
        print(f"make_zip.py: {exc}\nnothing written", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"make_zip.py: {exc}", file=sys.stderr)
        return 2
    packed = [name for name in held if name.startswith(ASSIGNMENT + "/")]
    print(f"{out}: {len(held)} files" + (f", {len(packed)} of them the assignment's" if packed else ""))
    print("upload it as the autograder of a Gradescope programming assignment (Ubuntu 22.04 or 24.04 image)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
