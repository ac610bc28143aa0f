"""PURE: text as a person meant it, without what only a machine would put there.

Removed from everything a person sends (websocket commands, HTTP forms) and from every export: NUL
and the other C0 and C1 control characters, terminal (ANSI) escape sequences, the bidirectional
embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069, which can make text read
otherwise than it is stored: "Trojan Source"), and lone surrogates (which no UTF-8 can carry).
Right-to-left writing itself (Arabic, Hebrew, the implicit marks U+200E, U+200F, U+061C) is left as
it is. Multi-line text keeps its newlines and tabs (a carriage return becomes a newline); a single
line turns them, and the line and paragraph separators, into spaces.
"""

from __future__ import annotations

import re

#: An escape sequence a terminal would act on: CSI (ESC [ or U+009B) with its parameters, OSC
#: (ESC ]) up to its terminator, and the two-character escapes.
_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
#: Anything that needs a second look: a fast `search` lets clean text through untouched.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029\x0b\x0c]")
_SPACES = re.compile("[\t\n]")

#: The characters `clean` removes whatever the kind of text (for tests and documentation).
BIDI_CONTROLS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def clean(value: str, *, multiline: bool = True) -> str:
    """`value` without control characters, terminal escapes, direction overrides or lone surrogates."""
    if not _SUSPECT.search(value):
        return value
    value = _ESCAPE.sub("", value)
    value = _LINE_BREAK.sub("\n", value)
    value = _DROP.sub("", value)
    return value if multiline else _SPACES.sub(" ", value)


def clean_line(value: str) -> str:
    """A single line: like `clean`, with newlines and tabs as spaces."""
    return clean(value, multiline=False)


def cleaned(value: object, *, multiline: bool = True) -> object:
    """`clean` for a validator that may be handed anything: strings are cleaned, the rest passes."""
    return clean(value, multiline=multiline) if isinstance(value, str) else value


def cleaned_line(value: object) -> object:
    """`clean_line` for a validator that may be handed anything."""
    return clean(value, multiline=False) if isinstance(value, str) else value


def clean_all(value: object) -> object:
    """Every string in a JSON-like value cleaned (multi-line), keys included; other values as they are."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_all(item) for item in value]
    return value
