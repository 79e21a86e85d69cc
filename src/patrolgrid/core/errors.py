"""One error envelope for every 4xx/5xx response.

`{"code": "...", "message": {"zh": "...", "en": "..."}, "details": ...}`. Domains raise
`AppError` (or a subclass helper) with their own machine-readable code and both messages.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from patrolgrid.core.jsonutil import JSONResponse

log = logging.getLogger(__name__)


class AppError(Exception):
    """An error a client should see, with a stable code and a zh/en message."""

    def __init__(
        self,
        status: int,
        code: str,
        zh: str,
        en: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {en}")
        self.status = status
        self.code = code
        self.zh = zh
        self.en = en
        self.details = details
        self.headers = headers

    def envelope(self) -> dict[str, Any]:
        return envelope(self.code, self.zh, self.en, self.details)


def envelope(code: str, zh: str, en: str, details: Any = None) -> dict[str, Any]:
    return {"code": code, "message": {"zh": zh, "en": en}, "details": details}


def field_error(code: str, zh: str, en: str, field: str) -> AppError:
    """A 422 about one body field, shaped like a validation error so forms can show it there."""
    return AppError(
        422, code, zh, en, [{"loc": ["body", field], "code": code, "message": {"zh": zh, "en": en}}]
    )


def not_found(entity_zh: str, entity_en: str, code: str = "not_found") -> AppError:
    return AppError(404, code, f"{entity_zh}不存在", f"{entity_en} not found")


# Messages for pydantic's error types, so validation errors read well in both languages.
_VALIDATION_MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("必填项", "Field required"),
    "string_too_short": ("内容太短", "Too short"),
    "string_too_long": ("内容太长", "Too long"),
    "string_type": ("应为文本", "Must be text"),
    "int_parsing": ("应为整数", "Must be an integer"),
    "int_type": ("应为整数", "Must be an integer"),
    "float_parsing": ("应为数字", "Must be a number"),
    "bool_parsing": ("应为是/否", "Must be true or false"),
    "literal_error": ("取值不在允许范围内", "Not one of the allowed values"),
    "enum": ("取值不在允许范围内", "Not one of the allowed values"),
    "greater_than_equal": ("数值太小", "Value too small"),
    "less_than_equal": ("数值太大", "Value too large"),
    "greater_than": ("数值太小", "Value too small"),
    "less_than": ("数值太大", "Value too large"),
    "json_invalid": ("JSON 格式错误", "Invalid JSON"),
    "model_attributes_type": ("请求体格式错误", "Invalid request body"),
    "dict_type": ("应为对象", "Must be an object"),
    "extra_forbidden": ("不允许的字段", "Unknown field"),
    "string_pattern_mismatch": ("格式不正确", "Wrong format"),
}


def validation_details(errors: Any) -> list[dict[str, Any]]:
    details = []
    for err in errors:
        kind = str(err.get("type", "value_error"))
        ctx = err.get("ctx") or {}
        if kind == "value_error" and isinstance(ctx.get("error"), LocalizedValueError):
            localized: LocalizedValueError = ctx["error"]
            code, zh, en = localized.code, localized.zh, localized.en
        else:
            zh, en = _VALIDATION_MESSAGES.get(
                kind, ("取值无效", str(err.get("msg", "Invalid value")))
            )
            code = kind
        details.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "code": code,
                "message": {"zh": zh, "en": en},
            }
        )
    return details


class LocalizedValueError(ValueError):
    """Raised from pydantic validators so the envelope carries our own code and zh/en text."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.code = code
        self.zh = zh
        self.en = en


_STATUS_MESSAGES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求无效", "Bad request"),
    401: ("auth.required", "请先登录", "Authentication required"),
    403: ("auth.forbidden", "没有权限", "Permission denied"),
    404: ("not_found", "资源不存在", "Not found"),
    405: ("method_not_allowed", "不支持该请求方法", "Method not allowed"),
    413: ("payload_too_large", "上传内容过大", "Payload too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "Unsupported media type"),
    429: ("rate_limited", "请求过于频繁", "Too many requests"),
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(exc.envelope(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        body = envelope(
            "validation_error",
            "提交的数据有误",
            "The submitted data is invalid",
            validation_details(exc.errors()),
        )
        return JSONResponse(body, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = _STATUS_MESSAGES.get(
            exc.status_code, ("http_error", "请求失败", str(exc.detail) or "Request failed")
        )
        return JSONResponse(
            envelope(code, zh, en),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(
            envelope("internal_error", "服务器内部错误", "Internal server error"), status_code=500
        )
