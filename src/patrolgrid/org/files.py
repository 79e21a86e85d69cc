"""Reading people from CSV or XLSX files (every row checked before anything is stored), and
writing them out again.

Columns may be headed in Chinese or English (姓名/name, 警号/badge_no, 类别/kind, 岗位/post,
手机/mobile, 中队/squadron); kinds may be written 民警/辅警/公益岗位 or police/auxiliary/
public_welfare; the squadron is named by name or code. CSV may be UTF-8 (with or without BOM)
or GB18030, as saved by Chinese Excel.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook

from patrolgrid.core.errors import AppError, LocalizedValueError
from patrolgrid.core.text import spreadsheet_row
from patrolgrid.org.models import (
    KIND_LABELS,
    Person,
    PersonKind,
    Squadron,
    check_badge,
    check_name,
    normalise_mobile,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000

COLUMNS: dict[str, str] = {
    "姓名": "name",
    "name": "name",
    "警号": "badge_no",
    "工号": "badge_no",
    "badge_no": "badge_no",
    "badge": "badge_no",
    "类别": "kind",
    "人员类别": "kind",
    "kind": "kind",
    "岗位": "post",
    "职务": "post",
    "post": "post",
    "手机": "mobile",
    "手机号": "mobile",
    "手机号码": "mobile",
    "mobile": "mobile",
    "中队": "squadron",
    "所属中队": "squadron",
    "squadron": "squadron",
}
REQUIRED = ("name", "badge_no", "kind", "mobile", "squadron")
HEADER_ZH = {
    "name": "姓名",
    "badge_no": "警号",
    "kind": "类别",
    "post": "岗位",
    "mobile": "手机",
    "squadron": "中队",
}

KINDS: dict[str, PersonKind] = {}
for _kind, (_zh, _en) in KIND_LABELS.items():
    KINDS[_zh] = KINDS[_kind.value] = KINDS[_en.lower()] = _kind


@dataclass(frozen=True)
class ImportedPerson:
    line: int
    name: str
    badge_no: str
    kind: PersonKind
    post: str
    mobile: str
    squadron_id: int


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    code: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": {"zh": self.zh, "en": self.en},
        }


def _file_error(code: str, zh: str, en: str) -> AppError:
    return AppError(422, code, zh, en)


def read_rows(filename: str, content: bytes) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number as a person counts it, cells) including the header row."""
    if len(content) > MAX_BYTES:
        raise AppError(413, "org.import_too_large", "文件超过 5 MB", "File larger than 5 MB")
    lower = filename.lower()
    if lower.endswith(".csv"):
        yield from _csv_rows(content)
    elif lower.endswith(".xlsx"):
        yield from _xlsx_rows(content)
    else:
        raise _file_error(
            "org.import_bad_format",
            "仅支持 CSV 或 XLSX 文件",
            "Only CSV or XLSX files are accepted",
        )


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string; kept for clarity
        raise _file_error("org.import_bad_encoding", "无法识别文件编码", "Unknown text encoding")
    if "\x00" in text:
        raise _file_error("org.import_bad_format", "文件不是有效的 CSV", "Not a valid CSV file")
    try:
        for index, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield index, [cell.strip() for cell in row]
    except csv.Error as exc:
        raise _file_error(
            "org.import_bad_format", "文件不是有效的 CSV", f"Not a valid CSV file: {exc}"
        ) from exc


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _file_error(
            "org.import_bad_format", "文件不是有效的 XLSX 工作簿", "Not a valid XLSX workbook"
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        for index, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield index, ["" if v is None else _cell_text(v) for v in row]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    # Excel stores a typed phone number as a float; 13800138000.0 must read as 13800138000.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_people(
    filename: str, content: bytes, squadrons: dict[str, Squadron], taken_badges: set[str]
) -> tuple[list[ImportedPerson], list[RowError]]:
    """Check every row; returns the people and every error found (by line and column)."""
    rows = iter(read_rows(filename, content))
    _, header = next(rows, (0, []))
    columns = [COLUMNS.get(h.strip().lower(), COLUMNS.get(h.strip(), "")) for h in header]
    missing = [c for c in REQUIRED if c not in columns]
    if not header or missing:
        raise AppError(
            422,
            "org.import_missing_columns",
            "缺少必需的列: " + "、".join(HEADER_ZH[c] for c in missing),
            "Missing required columns: " + ", ".join(missing),
            {"missing": missing},
        )
    people: list[ImportedPerson] = []
    errors: list[RowError] = []
    seen_badges: dict[str, int] = {}
    for count, (line, cells) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise AppError(
                413,
                "org.import_too_many_rows",
                f"最多导入 {MAX_ROWS} 行",
                f"At most {MAX_ROWS} rows per import",
            )
        if not any(cells):
            continue
        record = {col: (cells[i] if i < len(cells) else "") for i, col in enumerate(columns) if col}
        person, row_errors = _check_row(line, record, squadrons)
        errors.extend(row_errors)
        if person is None:
            continue
        if person.badge_no in seen_badges:
            errors.append(
                RowError(
                    line,
                    "badge_no",
                    "org.badge_duplicate_in_file",
                    f"警号与第 {seen_badges[person.badge_no]} 行重复",
                    f"Badge number repeats line {seen_badges[person.badge_no]}",
                )
            )
            continue
        seen_badges[person.badge_no] = line
        if person.badge_no in taken_badges:
            errors.append(
                RowError(
                    line, "badge_no", "org.badge_taken", "警号已存在", "Badge number already exists"
                )
            )
            continue
        people.append(person)
    if not people and not errors:
        raise _file_error("org.import_empty", "文件中没有人员数据", "The file has no people in it")
    return people, errors


def _check_row(
    line: int, record: dict[str, str], squadrons: dict[str, Squadron]
) -> tuple[ImportedPerson | None, list[RowError]]:
    errors: list[RowError] = []

    def check(column: str, fn: Any) -> Any:
        try:
            return fn(record.get(column, ""))
        except LocalizedValueError as exc:
            errors.append(RowError(line, column, exc.code, exc.zh, exc.en))
            return None

    name = check("name", check_name)
    badge = check("badge_no", check_badge)
    mobile = check("mobile", normalise_mobile)
    raw_kind = record.get("kind", "").strip()
    kind = KINDS.get(raw_kind) or KINDS.get(raw_kind.lower())
    if kind is None:
        errors.append(
            RowError(
                line,
                "kind",
                "org.bad_kind",
                "类别应为 民警、辅警 或 公益岗位",
                "Kind must be police, auxiliary or public_welfare",
            )
        )
    squadron = squadrons.get(record.get("squadron", "").strip())
    if squadron is None:
        errors.append(
            RowError(line, "squadron", "org.unknown_squadron", "中队不存在", "No such squadron")
        )
    post = record.get("post", "").strip()
    if len(post) > 100:
        errors.append(RowError(line, "post", "org.post_too_long", "岗位名称过长", "Post too long"))
    if len(name or "") > 50:
        errors.append(RowError(line, "name", "org.name_too_long", "姓名过长", "Name too long"))
    if errors or kind is None or squadron is None:
        return None, errors
    return ImportedPerson(line, name, badge, kind, post, mobile, squadron.id), []


EXPORT_HEADER = ["姓名", "警号", "类别", "岗位", "手机", "中队"]


def export_people(people: list[Person], fmt: str) -> bytes:
    """The same columns the importer reads, so an export can be edited and imported again."""
    rows = [
        [p.name, p.badge_no, KIND_LABELS[PersonKind(p.kind)][0], p.post, p.mobile, p.squadron.name]
        for p in people
    ]
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_HEADER)
        writer.writerows(rows)
        # BOM so that Excel opens the UTF-8 file with the right encoding.
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "人员"
    sheet.append(spreadsheet_row(EXPORT_HEADER))
    for row in rows:
        sheet.append(spreadsheet_row(row))
    for column, width in zip("ABCDEF", (10, 14, 10, 20, 14, 16), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
