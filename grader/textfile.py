"""A file a person writes (a spec, the course file) read as text, or where it stops being text.

YAML and TOML each refuse some characters outright, wherever they are; their readers say so
in words of their own (PyYAML as a traceback). ``decoded`` finds the first byte that is no
UTF-8 or is such a character, and says where it is: its byte offset, line and column.
"""
from __future__ import annotations

import re

# Characters YAML 1.1 refuses anywhere (PyYAML's reader): C0 controls but tab and line ends, DEL, C1 but
# NEL, and the non-characters U+FFFE and U+FFFF.
YAML_REFUSES = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# TOML refuses control characters other than tab and line ends, anywhere (in a string or a comment too).
TOML_REFUSES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NotText(ValueError):
    """Where the text stops: ``offset`` (bytes), ``line`` and ``column`` (characters), both from 1."""

    def __init__(self, data: bytes, offset: int, what: str):
        self.offset = offset
        start = data.rfind(b"\n", 0, offset) + 1
        self.line = data.count(b"\n", 0, offset) + 1
        self.column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
        super().__init__(f"byte {offset} (line {self.line}, column {self.column}) {what}")


def decoded(data: bytes, refused: re.Pattern, language: str) -> str:
    """``data`` as text, or ``NotText`` at the first byte that is no UTF-8 or a character ``refused``
    (what ``language``, "YAML" or "TOML", does not allow)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotText(data, exc.start, f"is 0x{data[exc.start]:02x}: the file is not UTF-8 text") from None
    bad = refused.search(text)
    if bad:
        char = bad.group(0)
        offset = len(text[:bad.start()].encode("utf-8"))
        raise NotText(data, offset, f"is {char.encode('unicode_escape').decode('ascii')}, a control character "
                                    f"{language} does not allow")
    return text
