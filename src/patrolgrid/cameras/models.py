"""Cameras (摄像头): where each one is, which way it looks, and where its video comes from.

Positions are WGS-84 like everything stored. A stream is an HTTP(S) URL the browser plays
directly (no media passes through Python), or a path under our own `/media/` folder (the demo's
generated clips). Four kinds of stream, each played differently by the console:

- `hls`   HTTP Live Streaming playlist (`.m3u8`), played with hls.js (or natively);
- `mjpeg` Motion-JPEG over HTTP (`multipart/x-mixed-replace`), shown in an `<img>`;
- `mp4`   a video file (`.mp4`, `.m4v`, `.webm`, `.mov`) played in a loop;
- `whep`  WebRTC through a WHEP endpoint (RFC 9725; e.g. MediaMTX's `…/whep`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrolgrid.core.db import Base, RowId, UTCDateTime, utcnow
from patrolgrid.core.errors import LocalizedValueError
from patrolgrid.core.text import plain_text
from patrolgrid.org.models import Squadron

MEDIA_PREFIX = "/media/"
URL_MAX = 1000


class StreamKind(StrEnum):
    hls = "hls"
    mjpeg = "mjpeg"
    mp4 = "mp4"
    whep = "whep"


KIND_LABELS: dict[StreamKind, tuple[str, str]] = {
    StreamKind.hls: ("HLS 直播流", "HLS stream"),
    StreamKind.mjpeg: ("MJPEG 图像流", "MJPEG stream"),
    StreamKind.mp4: ("MP4 视频文件", "MP4 video file"),
    StreamKind.whep: ("WebRTC (WHEP)", "WebRTC (WHEP)"),
}


class Camera(Base):
    __tablename__ = "cameras"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    heading: Mapped[float | None] = mapped_column(Float, nullable=True)
    stream_url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    stream_kind: Mapped[str] = mapped_column(String(10), default=StreamKind.hls.value)
    squadron_id: Mapped[int | None] = mapped_column(
        ForeignKey("squadrons.id", ondelete="SET NULL"), nullable=True, index=True
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    squadron: Mapped[Squadron | None] = relationship(lazy="joined")


# ---- rules shared by the API and the importer -----------------------------------------------

_CODE = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
# Path segments allowed under /media/: letters, digits and a few safe marks; no "..".
_MEDIA_SEGMENT = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$")


def check_code(value: str) -> str:
    value = value.strip()
    if not _CODE.match(value):
        raise LocalizedValueError(
            "cameras.bad_code",
            "编号应为 1-32 位字母、数字、下划线或连字符",
            "Code: 1-32 letters, digits, underscores or hyphens",
        )
    return value


def check_name(value: str) -> str:
    value = plain_text(value.strip())
    if not value:
        raise LocalizedValueError("cameras.name_required", "名称不能为空", "Name is required")
    if len(value) > 100:
        raise LocalizedValueError(
            "cameras.name_too_long", "名称不能超过 100 个字符", "Name: at most 100 characters"
        )
    return value


def check_note(value: str | None) -> str | None:
    return None if value is None else plain_text(value, multiline=True)


def check_lon(value: float) -> float:
    if not math.isfinite(value) or not -180.0 <= value <= 180.0:
        raise LocalizedValueError(
            "cameras.bad_lon",
            "经度应在 -180 到 180 之间(WGS-84)",
            "Longitude must be between -180 and 180 (WGS-84)",
        )
    return value


def check_lat(value: float) -> float:
    if not math.isfinite(value) or not -90.0 <= value <= 90.0:
        raise LocalizedValueError(
            "cameras.bad_lat",
            "纬度应在 -90 到 90 之间(WGS-84)",
            "Latitude must be between -90 and 90 (WGS-84)",
        )
    return value


def check_heading(value: float | None) -> float | None:
    """Degrees clockwise from north the camera looks at, 0-360 (360 is stored as 0)."""
    if value is None:
        return None
    if not math.isfinite(value) or not 0.0 <= value <= 360.0:
        raise LocalizedValueError(
            "cameras.bad_heading",
            "朝向应在 0 到 360 度之间(正北为 0,顺时针)",
            "Heading must be 0-360 degrees (clockwise from north)",
        )
    return value % 360.0


def check_stream_url(value: str) -> str:
    """An http(s) URL with a host and no credentials, or a path under our own /media/; empty
    means no stream configured yet (the console shows no signal)."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > URL_MAX:
        raise LocalizedValueError(
            "cameras.url_too_long", "视频地址过长", f"Stream URL: at most {URL_MAX} characters"
        )
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in value):
        raise LocalizedValueError(
            "cameras.bad_url",
            "视频地址不能包含空白或反斜杠",
            "The stream URL must not contain spaces or backslashes",
        )
    if value.startswith("/"):
        path = value.split("?", 1)[0].split("#", 1)[0]
        segments = path[len(MEDIA_PREFIX) :].split("/") if path.startswith(MEDIA_PREFIX) else []
        if not segments or not all(_MEDIA_SEGMENT.match(s) for s in segments):
            raise LocalizedValueError(
                "cameras.bad_media_path",
                "本地视频只能是 /media/ 下的文件路径(不含 ..)",
                "A local stream must be a file path under /media/ (without ..)",
            )
        return value
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme in ("rtsp", "rtsps", "rtmp", "rtmps", "srt", "udp", "rtp"):
        raise LocalizedValueError(
            "cameras.unplayable_scheme",
            f"浏览器无法直接播放 {scheme.upper()} 流,请经流媒体网关(如 MediaMTX)转为 HLS 或 WHEP",
            f"Browsers cannot play {scheme.upper()}; convert it to HLS or WHEP with a media "
            "gateway (e.g. MediaMTX)",
        )
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise LocalizedValueError(
            "cameras.bad_url",
            "视频地址应以 http:// 或 https:// 开头,或为 /media/ 下的路径",
            "The stream URL must start with http:// or https://, or be a path under /media/",
        )
    if parts.username is not None or parts.password is not None:
        raise LocalizedValueError(
            "cameras.url_credentials",
            "视频地址中不能包含用户名或密码(所有值班人员都能看到该地址)",
            "Do not put a user name or password in the stream URL (every operator can read it)",
        )
    return value


_EXTENSION_KINDS: dict[str, StreamKind] = {
    ".m3u8": StreamKind.hls,
    ".m3u": StreamKind.hls,
    ".mp4": StreamKind.mp4,
    ".m4v": StreamKind.mp4,
    ".webm": StreamKind.mp4,
    ".mov": StreamKind.mp4,
    ".mjpg": StreamKind.mjpeg,
    ".mjpeg": StreamKind.mjpeg,
}


def guess_kind(url: str) -> StreamKind | None:
    """The kind a URL's path tells, when it tells one: `.m3u8` → hls, `.mp4` → mp4,
    `.mjpg` → mjpeg, a path ending in `/whep` → whep; None when it does not."""
    path = url.split("?", 1)[0].split("#", 1)[0].lower().rstrip("/")
    if not path:
        return None
    if path.endswith("/whep") or path == "whep":
        return StreamKind.whep
    last = path.rsplit("/", 1)[-1]
    dot = last.rfind(".")
    return _EXTENSION_KINDS.get(last[dot:]) if dot > 0 else None


def stream_problem(url: str, kind: StreamKind) -> tuple[str, str, str] | None:
    """(code, zh, en) when the kind contradicts what the URL says, else None."""
    if not url:
        return None
    if url.startswith(MEDIA_PREFIX) and kind in (StreamKind.whep, StreamKind.mjpeg):
        zh_kind, en_kind = KIND_LABELS[kind]
        return (
            "cameras.kind_mismatch",
            f"/media/ 下的静态文件不能作为 {zh_kind} 播放,请选择 HLS 或 MP4",
            f"A static file under /media/ cannot be played as {en_kind}; choose HLS or MP4",
        )
    told = guess_kind(url)
    if told is not None and told != kind:
        return (
            "cameras.kind_mismatch",
            f"视频地址看起来是 {KIND_LABELS[told][0]},与所选类型 {KIND_LABELS[kind][0]} 不符",
            f"The URL looks like an {KIND_LABELS[told][1]}, not an {KIND_LABELS[kind][1]}",
        )
    return None


def resolve_kind(url: str, kind: StreamKind | None) -> StreamKind:
    """The kind given, else the one the URL tells, else HLS (the commonest)."""
    return kind or guess_kind(url) or StreamKind.hls


# ---- API schemas -----------------------------------------------------------------------------


class CameraIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    lon: float
    lat: float
    heading: float | None = None
    stream_url: str = Field("", max_length=URL_MAX)
    # Omitted: taken from the URL where it tells (".m3u8" → hls ...), else hls.
    stream_kind: StreamKind | None = None
    squadron_id: RowId | None = None
    note: str = Field("", max_length=500)
    enabled: bool = True

    _code = field_validator("code")(check_code)
    _name = field_validator("name")(check_name)
    _note = field_validator("note")(check_note)
    _lon = field_validator("lon")(check_lon)
    _lat = field_validator("lat")(check_lat)
    _heading = field_validator("heading")(check_heading)
    _url = field_validator("stream_url")(check_stream_url)


class CameraUpdate(BaseModel):
    """Only the fields sent change; `heading` and `squadron_id` may be set to null."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str | None = Field(None, max_length=32)
    name: str | None = Field(None, max_length=100)
    lon: float | None = None
    lat: float | None = None
    heading: float | None = None
    stream_url: str | None = Field(None, max_length=URL_MAX)
    stream_kind: StreamKind | None = None
    squadron_id: RowId | None = None
    note: str | None = Field(None, max_length=500)
    enabled: bool | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else check_code(value)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value)

    @field_validator("lon")
    @classmethod
    def _lon(cls, value: float | None) -> float | None:
        return None if value is None else check_lon(value)

    @field_validator("lat")
    @classmethod
    def _lat(cls, value: float | None) -> float | None:
        return None if value is None else check_lat(value)

    @field_validator("heading")
    @classmethod
    def _heading(cls, value: float | None) -> float | None:
        return check_heading(value)

    @field_validator("stream_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_stream_url(value)

    _note = field_validator("note")(check_note)


class CameraOut(BaseModel):
    id: int
    code: str
    name: str
    lon: float
    lat: float
    heading: float | None
    stream_url: str
    stream_kind: StreamKind
    squadron_id: int | None
    squadron_name: str | None
    note: str
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, camera: Camera) -> CameraOut:
        return cls(
            id=camera.id,
            code=camera.code,
            name=camera.name,
            lon=camera.lon,
            lat=camera.lat,
            heading=camera.heading,
            stream_url=camera.stream_url,
            stream_kind=StreamKind(camera.stream_kind),
            squadron_id=camera.squadron_id,
            squadron_name=camera.squadron.name if camera.squadron is not None else None,
            note=camera.note,
            enabled=camera.enabled,
            created_at=camera.created_at,
            updated_at=camera.updated_at,
        )


class CameraList(BaseModel):
    items: list[CameraOut]


class ImportResult(BaseModel):
    imported: int
