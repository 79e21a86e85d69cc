"""Checks on uploaded files that several domains take (photos from the field)."""

from __future__ import annotations

from patrolgrid.core.errors import AppError

MAX_PHOTO_BYTES = 8 * 1024 * 1024


def image_type(content: bytes, max_bytes: int = MAX_PHOTO_BYTES) -> str:
    """The photo's type from its first bytes (never the client's word for it); anything that is
    not a JPEG, PNG or WebP image, or is too large, is refused."""
    if len(content) > max_bytes:
        raise AppError(
            413,
            "upload.too_large",
            f"照片不能超过 {max_bytes // (1024 * 1024)} MB",
            f"A photo may be at most {max_bytes // (1024 * 1024)} MB",
        )
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    raise AppError(
        415,
        "upload.not_an_image",
        "只能上传 JPEG、PNG 或 WebP 照片",
        "Only JPEG, PNG or WebP photos can be uploaded",
    )
