"""The teacher's settings file, ``sockgrade.toml`` in the current folder (or ``--config FILE``).

Today it holds one setting, the isolation level a teacher accepts below full
isolation (``isolation = "netns"``); a flag on the command line overrides it.
A mistake is reported with the file, the line and the key.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.runner.isolation import LEVELS, STRICT

DEFAULT = "sockgrade.toml"
KEYS = {"isolation": (*reversed(LEVELS), STRICT)}


class ConfigError(Exception):
    """A mistake in the settings file: the message names the file, line and key."""


@dataclass(frozen=True)
class Config:
    source: Path | None = None
    isolation: str | None = None


def load(path: Path | None = None) -> Config:
    """The settings of ``path``, or of ./sockgrade.toml when there is one, else the defaults."""
    if path is None:
        path = Path(DEFAULT)
        if not path.is_file():
            return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    for key, value in data.items():
        where = f"{path}:{_line(text, key)}: {key}"
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown setting; the settings are: {', '.join(KEYS)}")
        if value not in KEYS[key]:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(KEYS[key])}")
    return Config(source=path, **data)


def _line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return 1
