"""Errors as application/problem+json (RFC 9457) with a Chinese `detail` for people."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from task_ledger.domain.errors import (
    DomainError,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RateLimited,
)
from task_ledger.entrypoints.refusals import audit_denied
from task_ledger.service_layer.handlers import AccessDenied

PROBLEM = "application/problem+json"
TITLES = {
    400: "请求错误",
    401: "未登录",
    403: "无权操作",
    404: "不存在",
    405: "不支持的请求方法",
    409: "状态冲突",
    413: "请求过大",
    429: "操作过于频繁",
    415: "不支持的文件类型",
    503: "服务不可用",
    422: "请求参数不合法",
    500: "服务器内部错误",
}
NOT_VISIBLE = "任务不存在或无权访问"


class Problem(BaseModel):
    """RFC 9457 problem details: what every refusal of the API answers."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = Field(description="给用户看的中文说明")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="仅 422：每个不合法字段的 loc、msg、type"
    )


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for refusals: problem+json with the Problem schema (inline, so the
    media type is the one actually sent)."""
    schema = Problem.model_json_schema()
    return {
        status: {"description": TITLES[status], "content": {PROBLEM: {"schema": schema}}}
        for status in statuses
    }


def problem(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "错误"),
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers or None)


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.detail, exc.headers)

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> JSONResponse:
        await audit_denied(request, exc)
        return problem(404, NOT_VISIBLE)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        response = problem(429, str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(NotAllowed)
    async def _not_allowed(_: Request, exc: NotAllowed) -> JSONResponse:
        return problem(403, str(exc))

    @app.exception_handler(InvalidTransition)
    async def _transition(_: Request, exc: InvalidTransition) -> JSONResponse:
        return problem(409, str(exc))

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return problem(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        fields = "、".join(".".join(e["loc"][1:]) or e["loc"][0] for e in errors if e["loc"])
        # Our own validators explain themselves in Chinese; their reasons join the detail.
        reasons = [
            str(e["ctx"]["error"])
            for e in exc.errors()
            if e.get("type") == "value_error" and not str(e.get("ctx", {}).get("error")).isascii()
        ]
        detail = f"请求参数不合法：{fields}" if fields else "请求参数不合法"
        if reasons:
            detail += "（" + "；".join(dict.fromkeys(reasons)) + "）"
        return problem(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
        return problem(exc.status_code, detail or TITLES.get(exc.status_code, "请求错误"))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return problem(500, "服务器内部错误，请稍后重试")
