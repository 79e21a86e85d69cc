"""Our own video files at `/media/` (the demo's generated HLS clips, or any clips an operator
puts in the media folder): Starlette's StaticFiles (ranges, ETags, 304s) behind the same
sign-in and `cameras:read` permission as the camera API.

The browser's `<video>` and hls.js send the session cookie with same-origin requests, so
nothing extra is needed on the client. Media never passes through a domain flow: it is only read.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from patrolgrid.core.auth import Perm
from patrolgrid.core.auth.deps import AUTH_REQUIRED, authenticate
from patrolgrid.core.errors import AppError
from patrolgrid.core.jsonutil import JSONResponse

MEDIA_MOUNT = "/media"

# Types the platform's mimetypes table may not know; hls.js does not need them, Safari's
# native HLS and some proxies do.
for _ext, _type in (
    (".m3u8", "application/vnd.apple.mpegurl"),
    (".m4s", "video/iso.segment"),
    (".mp4", "video/mp4"),
):
    mimetypes.add_type(_type, _ext)


class MediaFiles(StaticFiles):
    """StaticFiles that first checks the caller may watch cameras. A missing folder is fine
    (nothing generated yet): every file is then a 404, which the console shows as no signal."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            denied = await self._denied(scope)
            if denied is not None:
                response = JSONResponse(
                    denied.envelope(), status_code=denied.status, headers=denied.headers
                )
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def check_config(self) -> None:
        try:
            await super().check_config()
        except RuntimeError as exc:  # no media folder (yet): checked again on the next request
            raise HTTPException(404) from exc

    async def _denied(self, scope: Scope) -> AppError | None:
        request = Request(scope)
        db = request.app.state.db
        async with db.sessions() as session:
            principal = await authenticate(request, session)
        if principal is None:
            return AUTH_REQUIRED
        if not principal.can(Perm.cameras_read):
            return AppError(
                403,
                "auth.forbidden",
                "没有权限执行此操作",
                "You do not have permission to do this",
                {"permission": Perm.cameras_read.value},
            )
        return None
