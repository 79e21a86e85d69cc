"""Free-text rules, and rows made safe for XLSX."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from patrolgrid.core.errors import LocalizedValueError
from patrolgrid.core.text import plain_text, spreadsheet_row


@pytest.mark.parametrize("bad", ["a\x00b", "a\x03", "\x1b[31m", "a\x7f", "a\x85"])
def test_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(LocalizedValueError) as refused:
        plain_text(bad, multiline=True)
    assert refused.value.code == "text.control_characters"


def test_line_breaks_only_where_several_lines_are_meant() -> None:
    assert plain_text("第一行\n第二行\t", multiline=True) == "第一行\n第二行\t"
    with pytest.raises(LocalizedValueError):
        plain_text("路口\n摄像头")


@given(st.lists(st.one_of(st.text(), st.integers(), st.none()), max_size=5))
def test_any_row_can_be_written_to_a_sheet(row: list[object]) -> None:
    sheet = Workbook().active
    sheet.append(spreadsheet_row(row))
    sheet.parent.save(io.BytesIO())
