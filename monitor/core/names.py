"""What an id or a name in an event may be, and the one form it is kept in.

Names (``hall``, ``service``, ``segment``, ``counter``) become label values
and ids (``id``, ``ticket``) index keys, so two texts that look the same
must be the same text, and nothing invisible may ride along. Every one of
them is therefore

- at most :data:`MAX_NAME_CHARS` characters (Unicode code points) as sent;
- free of control characters (C0, DEL, C1), of format characters (zero-width
  spaces and joiners, soft hyphens, the byte-order mark, bidirectional
  controls such as RLO), of the other default-ignorable code points
  (variation selectors, Hangul fillers, tags) and of line and paragraph
  separators (:data:`FORBIDDEN`);
- without a space at either end (any Unicode space, :data:`SPACES`);
- written in at most one of the Latin, Greek and Cyrillic alphabets (a
  Cyrillic ``о`` inside a Latin name is a look-alike, never a new name;
  Han, kana, digits and punctuation mix with any of them);

and is kept in Unicode normalisation form NFKC, so that full-width
``ｃｏｎｓｕｌｔ``, ``café`` written with a combining accent and the
precomposed ``café`` are the one name they look like.

The same rule is written twice, as code (:func:`name_problem`,
:func:`normalized`) and as the JSON Schema ``pattern`` of the OpenAPI
document (:data:`NAME_PATTERN`), from the one table below; a test checks
that both agree.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_CHARS = 128

# (first, last) code points; see the module docstring
FORBIDDEN: tuple[tuple[int, int], ...] = (
    (0x00, 0x1F), (0x7F, 0x9F),  # control characters
    (0xAD, 0xAD),  # soft hyphen
    (0x34F, 0x34F),  # combining grapheme joiner
    (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891),
    (0x8E2, 0x8E2),  # Arabic and Syriac format characters, the Arabic letter mark
    (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),  # fillers, Mongolian selectors
    (0x200B, 0x200F),  # zero-width space, joiners, left-to-right and right-to-left marks
    (0x2028, 0x202E),  # line and paragraph separators, bidirectional embeddings (RLO)
    (0x2060, 0x206F),  # word joiner, invisible operators, bidirectional isolates
    (0x3164, 0x3164), (0xFE00, 0xFE0F),  # Hangul filler, variation selectors
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB),  # BOM, half-width filler
    (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),  # format characters of other scripts
    (0xE0000, 0xE0FFF),  # tags and the variation selectors supplement
)  # fmt: skip
SPACES: tuple[tuple[int, int], ...] = (
    (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x202F, 0x202F),
    (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
# the letters of the three alphabets whose look-alikes must not mix in one name
SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    "Latin": (
        (0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x24F),
        (0x1E00, 0x1EFF), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
    ),
    "Greek": ((0x386, 0x386), (0x388, 0x3FF), (0x1F00, 0x1FFF)),
    "Cyrillic": ((0x400, 0x52F), (0x1C80, 0x1C8F), (0x2DE0, 0x2DFF), (0xA640, 0xA69F)),
}  # fmt: skip


def _escape(cp: int) -> str:
    # \uXXXX and \UXXXXXXXX read the same in Python's re and in the Rust regex
    # engine that validates patterns for Schemathesis
    return f"\\u{cp:04X}" if cp <= 0xFFFF else f"\\U{cp:08X}"


def char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    """A regular-expression character class of ``ranges``."""
    parts = (_escape(a) if a == b else f"{_escape(a)}-{_escape(b)}" for a, b in ranges)
    return "[" + "".join(parts) + "]"


_ANY = r"[\s\S]*"
_PAIRS = [(a, b) for a in SCRIPTS for b in SCRIPTS if a != b]
NAME_PATTERN = (
    f"^(?!{_ANY}{char_class(FORBIDDEN)})"
    f"(?!{char_class(SPACES)})(?!{_ANY}{char_class(SPACES)}$)"
    + "".join(
        f"(?!{_ANY}{char_class(SCRIPTS[a])}{_ANY}{char_class(SCRIPTS[b])})" for a, b in _PAIRS
    )
)
"""The JSON Schema ``pattern`` of a name (with ``minLength`` 1 and ``maxLength``
:data:`MAX_NAME_CHARS`)."""

_FORBIDDEN = re.compile(char_class(FORBIDDEN))
_SPACE = re.compile(char_class(SPACES))
_SCRIPT = {name: re.compile(char_class(ranges)) for name, ranges in SCRIPTS.items()}
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def name_problem(value: str) -> str | None:
    """Why ``value`` (as sent) is no id or name, or None when it is one."""
    if not value:
        return "is empty"
    if len(value) > MAX_NAME_CHARS:
        return f"is {len(value)} characters long; at most {MAX_NAME_CHARS} characters are allowed"
    if value.isascii():
        if found := _ASCII_CONTROL.search(value):
            return f"contains a control character (U+{ord(found.group()):04X})"
        if value[0] == " " or value[-1] == " ":
            return "starts or ends with a space"
        return None
    if found := _FORBIDDEN.search(value):
        return f"contains {_described(found.group())}"
    if _SPACE.fullmatch(value[0]) or _SPACE.fullmatch(value[-1]):
        return "starts or ends with a space"
    scripts = {name: found for name, rx in _SCRIPT.items() if (found := rx.search(value))}
    if len(scripts) > 1:
        letters = ", ".join(
            f"{name} {_described(m.group())}" for name, m in sorted(scripts.items())
        )
        return f"mixes the letters of more than one alphabet ({letters}), as look-alikes do"
    return None


def _described(char: str) -> str:
    cp = ord(char)
    what = unicodedata.name(char, "")
    if unicodedata.category(char) == "Cc":
        return f"a control character (U+{cp:04X})"
    if what and unicodedata.category(char) not in ("Cf", "Zl", "Zp"):
        return f"U+{cp:04X} {what}"
    return (
        f"an invisible or bidirectional control character (U+{cp:04X}{' ' + what if what else ''})"
    )


def normalized(value: str) -> str:
    """``value`` in NFKC (ASCII is its own NFKC)."""
    return value if value.isascii() else unicodedata.normalize("NFKC", value)
