"""Rules for free text people type (names, notes): what a form, an import or an API client
may not put in it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated

from pydantic import AfterValidator

from patrolgrid.core.errors import LocalizedValueError

# C0 controls except tab, line feed and carriage return, DEL, and the C1 controls: nothing a
# person means to type, and what spreadsheets (XLSX) cannot store.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\t\r\n]")


def plain_text(value: str, *, multiline: bool = False) -> str:
    """`value` unchanged if it has no control characters (line breaks only when `multiline`),
    else a LocalizedValueError with the code `text.control_characters`."""
    if _CONTROL.search(value) or (not multiline and _LINE_BREAK.search(value)):
        raise LocalizedValueError(
            "text.control_characters",
            "不能包含控制字符" + ("" if multiline else "或换行"),
            "Must not contain control characters" + ("" if multiline else " or line breaks"),
        )
    return value


def _multiline(value: str) -> str:
    return plain_text(value, multiline=True)


# Field types for schemas: a one-line text (a name, a post) and a text with line breaks (a note).
PlainText = Annotated[str, AfterValidator(plain_text)]
MultilineText = Annotated[str, AfterValidator(_multiline)]


# What XLSX cells cannot hold (openpyxl refuses them): C0 controls except tab, LF and CR.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def spreadsheet_row(values: Sequence[object]) -> list[object]:
    """A row as an XLSX sheet can store it. Input is checked where it enters (`plain_text`);
    this keeps an export working for text stored before that check existed."""
    return [_NOT_IN_XLSX.sub("", v) if isinstance(v, str) else v for v in values]
