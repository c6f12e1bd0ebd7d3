"""Every way gridsync escapes text for a sink, in one place: one printable line, Markdown, a shell
word, a GitHub workflow command's data and properties.

The renderers, the output layer and the GitHub output use these; `gridsync.redact` masks a secret
in each form they can give it, so a new escaping goes here, or a secret could pass through it
unmasked. Pure functions of the standard library only: everything can import this module.
"""

from __future__ import annotations

import re

# C0/C1 controls, DEL and the Unicode line/paragraph separators: anything that could move the
# cursor, inject ANSI or split a line. Shown escaped (`\x1b`, `\u2028`) instead.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def is_plain(text: str) -> bool:
    """Whether `clean` leaves `text` as it is, by its fast test: printable ASCII (no ASCII
    control, which is what _UNSAFE finds in ASCII)."""
    return text.isascii() and text.isprintable()


def clean(text: str) -> str:
    """Text safe to print on one line: control characters become visible escapes."""
    if is_plain(text):
        return text
    return _UNSAFE.sub(_escape_char, text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def identifier(text: str) -> str:
    """`text` as (part of) a shell variable's name: every character but an ASCII letter or digit
    as `_` (GRIDSYNC_ML_PROD_EXTERNAL_ID for the cluster ml-prod)."""
    return _NOT_IDENTIFIER.sub("_", text)


def md_escape(text: str) -> str:
    """Text safe inline in Markdown (and in a table cell): one line, punctuation backslashed."""
    return _MD_SPECIAL.sub(r"\\\1", clean(text))


def shell_word(value: str) -> str:
    """One quoted shell word: `'...'`, or `$'...'` when `value` holds a control character."""
    if not _UNSAFE.search(value):
        return "'" + value.replace("'", "'\\''") + "'"
    return "$'" + clean(value.replace("\\", "\\\\").replace("'", "\\'")) + "'"


def double_quoted(text: str) -> str:
    """Text for the inside of a double-quoted shell word; a control character is spliced in as
    `"$'\\n'"` (the word goes on, nothing runs)."""
    text = re.sub(r'(["\\$`])', r"\\\1", text)
    return _UNSAFE.sub(lambda m: '"' + shell_word(m.group()) + '"', text)


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command property value (file, title...), escaped as GitHub's toolkit does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
