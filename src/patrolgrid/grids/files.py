"""Reading drivers/vehicles per area and accident records from CSV or XLSX (every row checked
before anything is stored, every bad row reported by line), and writing plans out as GeoJSON and
XLSX. File reading (encodings, size limit) is the organisation importer's.

Drivers and vehicles per area — columns (Chinese or English): 区域/area (the area's name or key),
驾驶人/drivers, 机动车/vehicles; the area and at least one of the two figures are required.

Accidents — columns: 日期/date (also the Japanese 発生日), 纬度/lat (緯度), 经度/lon (経度), and
optionally 时间/time (発生時), 死亡人数/deaths (死者数), 受伤人数/injuries (負傷者数),
单位/station (警察署等コード), 编号/ref (本票番号). Dates as 2019-01-03, 2019/1/3, 20190103 or
2019年1月3日; coordinates in WGS-84 unless the caller names GCJ-02 or BD-09.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openpyxl import Workbook

from patrolgrid.core.errors import AppError
from patrolgrid.core.text import spreadsheet_row
from patrolgrid.geo.coords import bd09_to_wgs84, gcj02_to_wgs84
from patrolgrid.grids.models import FIGURE_LABELS, Evaluation, Figure
from patrolgrid.org.files import RowError, read_rows

__all__ = [
    "CoordSystem",
    "ImportedAccident",
    "ImportedAreaFigures",
    "parse_accidents",
    "parse_area_figures",
    "plan_geojson",
    "plan_xlsx",
]

MAX_ACCIDENT_ROWS = 100_000


class CoordSystem(StrEnum):
    wgs84 = "wgs84"
    gcj02 = "gcj02"  # Amap, Tencent
    bd09 = "bd09"  # Baidu


MAX_FIGURE_ROWS = 20_000

AREA_COLUMNS: dict[str, str] = {
    "区域": "area",
    "区域名称": "area",
    "区域编号": "area",
    "镇街": "area",
    "乡镇": "area",
    "街道": "area",
    "社区": "area",
    "area": "area",
    "area_key": "area",
    "驾驶人": "drivers",
    "驾驶人数": "drivers",
    "驾驶人数量": "drivers",
    "drivers": "drivers",
    "机动车": "vehicles",
    "机动车数": "vehicles",
    "机动车数量": "vehicles",
    "车辆": "vehicles",
    "vehicles": "vehicles",
}
ACCIDENT_COLUMNS: dict[str, str] = {
    "日期": "date",
    "发生日期": "date",
    "事故日期": "date",
    "発生日": "date",
    "date": "date",
    "时间": "time",
    "发生时间": "time",
    "発生時": "time",
    "time": "time",
    "纬度": "lat",
    "緯度": "lat",
    "lat": "lat",
    "latitude": "lat",
    "经度": "lon",
    "経度": "lon",
    "lon": "lon",
    "lng": "lon",
    "longitude": "lon",
    "死亡人数": "deaths",
    "死亡": "deaths",
    "死者数": "deaths",
    "deaths": "deaths",
    "受伤人数": "injuries",
    "受伤": "injuries",
    "負傷者数": "injuries",
    "injuries": "injuries",
    "单位": "station",
    "警察署等コード": "station",
    "station": "station",
    "编号": "ref",
    "事故编号": "ref",
    "本票番号": "ref",
    "ref": "ref",
}
_ACCIDENT_HEADER_ZH = {"date": "日期", "lat": "纬度", "lon": "经度"}

_TO_WGS84: dict[CoordSystem, Callable[[float, float], tuple[float, float]]] = {
    CoordSystem.gcj02: gcj02_to_wgs84,
    CoordSystem.bd09: bd09_to_wgs84,
}
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?: .*)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$")


@dataclass(frozen=True)
class ImportedAreaFigures:
    line: int
    area_key: str
    drivers: int | None
    vehicles: int | None


@dataclass(frozen=True)
class ImportedAccident:
    line: int
    occurred_on: dt.date
    occurred_time: str
    lon: float
    lat: float
    deaths: int
    injuries: int
    station: str
    ref: str


def _header(
    filename: str, content: bytes, columns: dict[str, str], code: str
) -> tuple[list[str], Any]:
    rows = iter(read_rows(filename, content))
    _, header = next(rows, (0, []))
    mapped = [columns.get(h.strip().lower(), columns.get(h.strip(), "")) for h in header]
    if not header:
        raise AppError(422, code, "文件为空", "The file is empty", {"missing": []})
    return mapped, rows


def _count(text: str) -> int | None:
    """A non-negative whole number, allowing 1,234 and 12.0; None for an empty cell."""
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return -1
    if not math.isfinite(value) or value < 0 or not value.is_integer() or value > 1e9:
        return -1
    return int(value)


def parse_area_figures(
    filename: str, content: bytes, areas: dict[str, str], names: dict[str, list[str]]
) -> tuple[list[ImportedAreaFigures], list[RowError]]:
    """`areas`: key → name; `names`: name → the keys of the areas so named."""
    columns, rows = _header(filename, content, AREA_COLUMNS, "grids.import_missing_columns")
    missing = [] if "area" in columns else ["area"]
    if "drivers" not in columns and "vehicles" not in columns:
        missing.append("drivers")
    if missing:
        raise AppError(
            422,
            "grids.import_missing_columns",
            "缺少必需的列: "
            + "、".join({"area": "区域", "drivers": "驾驶人或机动车"}[m] for m in missing),
            "Missing required columns: "
            + ", ".join({"area": "area", "drivers": "drivers or vehicles"}[m] for m in missing),
            {"missing": missing},
        )
    out: list[ImportedAreaFigures] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for count, (line, cells) in enumerate(rows, start=1):
        if count > MAX_FIGURE_ROWS:
            raise AppError(
                413,
                "grids.import_too_many_rows",
                f"最多导入 {MAX_FIGURE_ROWS} 行",
                f"At most {MAX_FIGURE_ROWS} rows per import",
            )
        if not any(cells):
            continue
        record = {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns) if c}
        row_errors: list[RowError] = []
        text = record.get("area", "").strip()
        key: str | None = None
        if not text:
            row_errors.append(
                RowError(line, "area", "grids.area_required", "区域不能为空", "Area is required")
            )
        elif text in areas:
            key = text
        elif len(names.get(text, [])) == 1:
            key = names[text][0]
        elif len(names.get(text, [])) > 1:
            row_errors.append(
                RowError(
                    line,
                    "area",
                    "grids.area_ambiguous",
                    "有多个同名区域,请填写区域编号",
                    "Several areas have this name; give the area's key",
                )
            )
        else:
            row_errors.append(
                RowError(line, "area", "grids.unknown_area", "区域不存在", "No such area")
            )
        values: dict[str, int | None] = {}
        for column in ("drivers", "vehicles"):
            value = _count(record.get(column, ""))
            if value == -1:
                row_errors.append(
                    RowError(
                        line,
                        column,
                        "grids.bad_count",
                        "应为不小于 0 的整数",
                        "Must be a whole number, 0 or more",
                    )
                )
                value = None
            values[column] = value
        if not row_errors and values["drivers"] is None and values["vehicles"] is None:
            row_errors.append(
                RowError(
                    line,
                    "drivers",
                    "grids.no_figures",
                    "驾驶人和机动车至少填写一项",
                    "Give drivers, vehicles or both",
                )
            )
        if key is not None and not row_errors:
            if key in seen:
                row_errors.append(
                    RowError(
                        line,
                        "area",
                        "grids.area_duplicate_in_file",
                        f"区域与第 {seen[key]} 行重复",
                        f"Area repeats line {seen[key]}",
                    )
                )
            seen.setdefault(key, line)
        errors.extend(row_errors)
        if not row_errors and key is not None:
            out.append(ImportedAreaFigures(line, key, values["drivers"], values["vehicles"]))
    if not out and not errors:
        raise AppError(422, "grids.import_empty", "文件中没有数据", "The file has no rows in it")
    return out, errors


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def _coordinate(text: str, low: float, high: float) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def parse_accidents(
    filename: str, content: bytes, coords: CoordSystem = CoordSystem.wgs84
) -> tuple[list[ImportedAccident], list[RowError]]:
    columns, rows = _header(filename, content, ACCIDENT_COLUMNS, "grids.import_missing_columns")
    missing = [c for c in ("date", "lat", "lon") if c not in columns]
    if missing:
        raise AppError(
            422,
            "grids.import_missing_columns",
            "缺少必需的列: " + "、".join(_ACCIDENT_HEADER_ZH[c] for c in missing),
            "Missing required columns: " + ", ".join(missing),
            {"missing": missing},
        )
    latest = dt.date.today() + dt.timedelta(days=1)
    out: list[ImportedAccident] = []
    errors: list[RowError] = []
    for count, (line, cells) in enumerate(rows, start=1):
        if count > MAX_ACCIDENT_ROWS:
            raise AppError(
                413,
                "grids.import_too_many_rows",
                f"最多导入 {MAX_ACCIDENT_ROWS} 行",
                f"At most {MAX_ACCIDENT_ROWS} rows per import",
            )
        if not any(cells):
            continue
        record = {c: (cells[i] if i < len(cells) else "") for i, c in enumerate(columns) if c}
        row_errors: list[RowError] = []
        day = _date(record.get("date", ""))
        if day is None or not dt.date(1950, 1, 1) <= day <= latest:
            row_errors.append(
                RowError(
                    line,
                    "date",
                    "grids.bad_date",
                    "日期无效(应为 2019-01-03 这样的日期,且不晚于今天)",
                    "Invalid date (e.g. 2019-01-03, not in the future)",
                )
            )
        time_text = record.get("time", "").strip()
        occurred_time = ""
        if time_text:
            match = _TIME.match(time_text)
            if match and int(match[1]) < 24 and int(match[2]) < 60:
                occurred_time = f"{int(match[1]):02d}:{match[2]}"
            else:
                row_errors.append(
                    RowError(line, "time", "grids.bad_time", "时间应为 时:分", "Time must be HH:MM")
                )
        lat = _coordinate(record.get("lat", ""), -90, 90)
        if lat is None:
            row_errors.append(
                RowError(
                    line, "lat", "grids.bad_lat", "纬度应为 -90 到 90 的数", "Latitude: -90 to 90"
                )
            )
        lon = _coordinate(record.get("lon", ""), -180, 180)
        if lon is None:
            row_errors.append(
                RowError(
                    line,
                    "lon",
                    "grids.bad_lon",
                    "经度应为 -180 到 180 的数",
                    "Longitude: -180 to 180",
                )
            )
        people: dict[str, int] = {}
        for column in ("deaths", "injuries"):
            value = _count(record.get(column, ""))
            if value == -1:
                row_errors.append(
                    RowError(
                        line,
                        column,
                        "grids.bad_count",
                        "应为不小于 0 的整数",
                        "Must be a whole number, 0 or more",
                    )
                )
            people[column] = max(value or 0, 0)
        station = record.get("station", "").strip()[:100]
        ref = record.get("ref", "").strip()[:64]
        errors.extend(row_errors)
        if row_errors or day is None or lat is None or lon is None:
            continue
        if coords in _TO_WGS84:
            lon, lat = _TO_WGS84[coords](lon, lat)
        out.append(
            ImportedAccident(
                line,
                day,
                occurred_time,
                lon,
                lat,
                people["deaths"],
                people["injuries"],
                station,
                ref,
            )
        )
    if not out and not errors:
        raise AppError(422, "grids.import_empty", "文件中没有数据", "The file has no rows in it")
    return out, errors


# ---- export --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportUnit:
    key: str
    kind: str
    name: str
    area: str
    grid: int | None
    locked: bool
    figures: dict[str, float]
    geometry: dict[str, Any] | None


def _round(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def _collect(geometries: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    lines = [g["coordinates"] for g in geometries if g["type"] == "LineString"]
    polygons: list[Any] = []
    for g in geometries:
        if g["type"] == "Polygon":
            polygons.append(g["coordinates"])
        elif g["type"] == "MultiPolygon":
            polygons.extend(g["coordinates"])
    parts = []
    if lines:
        parts.append({"type": "MultiLineString", "coordinates": lines})
    if polygons:
        parts.append({"type": "MultiPolygon", "coordinates": polygons})
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return {"type": "GeometryCollection", "geometries": parts}


def plan_geojson(
    plan: dict[str, Any], evaluation: Evaluation, units: Sequence[ExportUnit], layer: str
) -> dict[str, Any]:
    """One FeatureCollection: a feature per grid (`feature_type` grid, its figures and balance)
    and/or per unit (`feature_type` unit, its figures and grid)."""
    features: list[dict[str, Any]] = []
    if layer in ("all", "grids"):
        by_grid: dict[int, list[dict[str, Any]]] = {}
        for unit in units:
            if unit.grid is not None and unit.geometry is not None:
                by_grid.setdefault(unit.grid, []).append(unit.geometry)
        for grid in evaluation.grids:
            features.append(
                {
                    "type": "Feature",
                    "id": f"grid-{grid.number}",
                    "geometry": _collect(by_grid.get(grid.number, [])),
                    "properties": {
                        "feature_type": "grid",
                        "plan_id": plan["id"],
                        "grid": grid.number,
                        "name": grid.name,
                        "colour": grid.colour,
                        "units": grid.units,
                        "workload": _round(grid.workload, 6),
                        "workload_ratio": _round(grid.workload_ratio),
                        "deviation": _round(grid.deviation),
                        "contiguous": grid.contiguous,
                        **{f: _round(v) for f, v in grid.figures.items()},
                        **{f"{f}_ratio": _round(v) for f, v in grid.figure_ratios.items()},
                    },
                }
            )
    if layer in ("all", "units"):
        for unit in units:
            features.append(
                {
                    "type": "Feature",
                    "id": unit.key,
                    "geometry": unit.geometry,
                    "properties": {
                        "feature_type": "unit",
                        "unit": unit.key,
                        "kind": unit.kind,
                        "name": unit.name,
                        "area": unit.area,
                        "grid": unit.grid,
                        "locked": unit.locked,
                        **{f: _round(v) for f, v in unit.figures.items()},
                    },
                }
            )
    return {
        "type": "FeatureCollection",
        "features": features,
        "plan": plan,
        "vanished_units": evaluation.vanished_units,
    }


def plan_xlsx(evaluation: Evaluation, units: Sequence[ExportUnit], title: str) -> bytes:
    """Two sheets: 网格 (one row per grid) and 单元 (one row per unit)."""
    figures = [f.value for f in Figure]
    labels = [FIGURE_LABELS[f][0] for f in Figure]
    workbook = Workbook()
    grids = workbook.active
    grids.title = "网格"
    grids.append(spreadsheet_row([title]))
    grids.append(
        [
            "网格编号",
            "网格名称",
            "颜色",
            "单元数",
            "工作量占比",
            "工作量÷均值",
            "偏差",
            "连片",
            *labels,
            *(f"{label}÷均值" for label in labels),
        ]
    )
    for grid in evaluation.grids:
        grids.append(
            spreadsheet_row(
                [
                    grid.number,
                    grid.name,
                    grid.colour,
                    grid.units,
                    _round(grid.workload, 6),
                    _round(grid.workload_ratio),
                    _round(grid.deviation),
                    "是" if grid.contiguous else "否",
                    *(_round(grid.figures.get(f, 0.0)) for f in figures),
                    *(
                        "" if f not in grid.figure_ratios else _round(grid.figure_ratios[f])
                        for f in figures
                    ),
                ]
            )
        )
    sheet = workbook.create_sheet("单元")
    sheet.append(
        spreadsheet_row(["单元编号", "类型", "名称", "所属区域", "网格编号", "锁定", *labels])
    )
    kind_zh = {"segment": "路段", "area": "区域"}
    for unit in units:
        sheet.append(
            spreadsheet_row(
                [
                    unit.key,
                    kind_zh.get(unit.kind, unit.kind),
                    unit.name,
                    unit.area,
                    "" if unit.grid is None else unit.grid,
                    "是" if unit.locked else "否",
                    *(_round(unit.figures.get(f, 0.0)) for f in figures),
                ]
            )
        )
    for column, width in zip("ABCDEF", (44, 10, 20, 16, 10, 8), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
