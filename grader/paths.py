"""Where the shipped specs and reference programs live, wherever ``grade`` is run from.

A checkout (or an editable install) uses its own ``specs/`` and ``reference/``. An installed wheel carries
them as data files (``pyproject.toml``), which the installer puts under the scheme's data folder: a venv's
or pipx's ``share/sockgrade``, ``~/.local/share/sockgrade`` for ``pip install --user``, ``/usr/local/share``
for a Debian system pip. Only the installer knows which, and it writes each file's place in the
distribution's RECORD: that list is read, not a guess from ``sys.prefix``.
"""
from __future__ import annotations

import functools
import os
import importlib.metadata
import sys
from pathlib import Path

DISTRIBUTION = "sockgrade"
INSTALLED = ("share", "sockgrade", "specs")      # where pyproject.toml's data-files put the specs
CHECKOUT = Path(__file__).resolve().parent.parent


@functools.cache
def shipped_specs_dir() -> Path:
    """The checkout's ``specs/``, else the installed copy, else (for the error message) the venv's place."""
    # pyproject.toml tells a checkout from site-packages, where another distribution may have put a `specs`
    if (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "specs").is_dir():
        return CHECKOUT / "specs"
    return _installed_specs_dir() or Path(sys.prefix).joinpath(*INSTALLED)


def shipped_reference_dir() -> Path:
    """``reference/`` beside the shipped specs: the reference programs they name (``../reference/...``)."""
    return shipped_specs_dir().parent / "reference"


def _installed_specs_dir() -> Path | None:
    for dist in _own_distributions():
        for file in dist.files or ():
            if file.parent.parts[-len(INSTALLED):] == INSTALLED:
                return Path(dist.locate_file(file)).resolve().parent
    return None


def _own_distributions() -> list[importlib.metadata.Distribution]:
    """The installed sockgrade whose package this module is first: another one (a ``--user`` copy beside a
    venv's, say) may ship other specs."""
    dists = list(importlib.metadata.distributions(name=DISTRIBUTION))
    return sorted(dists, key=lambda d: Path(d.locate_file("")).resolve() != CHECKOUT)


def homes() -> list[str]:
    """The grader's user's home, as the environment and the user database say: no student program sees it."""
    import pwd
    found = {os.path.expanduser("~")}
    try:
        found.add(pwd.getpwuid(os.geteuid()).pw_dir)
    except KeyError:
        pass
    return sorted(h for h in found if h and h != "/" and os.path.isabs(h))
