"""The HTTP side of the PlanningError family: each error's status said once, and the handlers."""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg.errors import QueryCanceled
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import (
    AnsweredError,
    ConflictError,
    DatabaseUnavailableError,
    ForbiddenError,
    InvalidDataError,
    InvalidParameterError,
    NotFoundError,
    PayloadTooLargeError,
    PlanningError,
    PreconditionFailedError,
    PreconditionRequiredError,
    QueryTimeoutError,
    ServiceBusyError,
    TooManyRequestsError,
    UnauthorizedError,
)
from gis.adb import UNAVAILABLE_SQLSTATES

log = logging.getLogger("quyhoach")


def query_timeout(exc: BaseException) -> QueryTimeoutError | None:
    """The error to answer for a statement the server cancelled, or None for other errors."""
    if isinstance(exc, OperationalError) and isinstance(exc.orig, QueryCanceled):
        return QueryTimeoutError(detail=str(exc.orig).strip())
    return None


def database_unavailable(exc: BaseException) -> DatabaseUnavailableError | None:
    """The error to answer when the database cannot be reached, or None for other errors."""
    if isinstance(exc, DisconnectionError | sa_exc.TimeoutError):  # gone, or no free connection
        return DatabaseUnavailableError(detail=f"{type(exc).__name__}: {exc}".strip())
    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None) or ""
    # Without a SQLSTATE the error is libpq's own: refused, timed out, or the connection lost.
    lost = isinstance(exc.orig, psycopg.OperationalError) and (
        not state or state.startswith(UNAVAILABLE_SQLSTATES))
    if exc.connection_invalidated or lost:
        return DatabaseUnavailableError(detail=str(exc.orig).strip())
    return None


BAD_VALUE = ("Một giá trị trong yêu cầu không dùng được (sai kiểu, vượt giới hạn hoặc chia cho 0).",
             "A value in the request cannot be used (wrong type, out of range or a division by "
             "zero).")


def bad_value(exc: BaseException) -> InvalidParameterError | None:
    """A 400 for a value the database refused as data (SQLSTATE class 22), else None.

    The checks before a statement catch what they know of; this answers what only the database
    finds (a number out of its type's range in a filter's arithmetic, say) without a 500.
    """
    orig = getattr(exc, "orig", exc)
    state = getattr(orig, "sqlstate", None) or ""
    if not state.startswith("22"):
        return None
    return InvalidParameterError(*BAD_VALUE, detail=f"{state}: {orig}".strip())


STATUS_CODES: dict[type[PlanningError], int] = {
    InvalidParameterError: 400,
    InvalidDataError: 422,
    NotFoundError: 404,
    UnauthorizedError: 401,
    ForbiddenError: 403,
    ConflictError: 409,
    PreconditionFailedError: 412,
    PreconditionRequiredError: 428,
    TooManyRequestsError: 429,
    PayloadTooLargeError: 413,
    QueryTimeoutError: 503,
    DatabaseUnavailableError: 503,
    ServiceBusyError: 503,
    PlanningError: 500,
}


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang in ("vi", "en"):
        return lang
    accept = request.headers.get("accept-language", "")
    return "en" if accept.lower().startswith("en") else "vi"


def error_body(code: str, message: str, message_en: str, lang: str) -> dict[str, str]:
    """The JSON body of an error, in the OGC exception shape."""
    return {
        "code": code,
        "description": message_en if lang == "en" else message,
        "description_vi": message,
        "description_en": message_en,
    }


def add_exception_handlers(app: FastAPI, status_codes: dict[type[PlanningError], int]) -> None:
    """Answer PlanningError and validation errors with JSON bodies."""

    async def planning_handler(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PlanningError)
        status = next(s for cls, s in status_codes.items() if isinstance(exc, cls))
        if exc.detail:
            log.info("%s: %s", exc.code, exc.detail)
        headers = ({"Retry-After": str(exc.retry_after)} if isinstance(exc, ServiceBusyError)
                   else None)
        if isinstance(exc, AnsweredError) and exc.headers:
            headers = {**(headers or {}), **exc.headers}
        return JSONResponse(error_body(exc.code, exc.message, exc.message_en, _lang(request)),
                            status_code=status, headers=headers)

    async def database_handler(request: Request, exc: Exception) -> JSONResponse:
        error = query_timeout(exc) or database_unavailable(exc) or bad_value(exc)
        if error is None:
            raise exc
        return await planning_handler(request, error)

    async def validation_handler(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        parts = []
        for err in exc.errors():
            where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "path", "body"))
            parts.append(f"{where}: {err.get('msg')}")
        text_en = "Invalid parameter — " + "; ".join(parts)
        text_vi = "Tham số không hợp lệ — " + "; ".join(parts)
        return JSONResponse(error_body("InvalidParameterValue", text_vi, text_en, _lang(request)),
                            status_code=400)

    async def http_handler(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = getattr(exc, "headers", None)
        if exc.status_code == 404:
            vi, en = "Không tìm thấy tài nguyên.", "Resource not found."
        elif exc.status_code == 405:
            allow = ", ".join(allowed_methods(request))
            vi = f"Phương thức {request.method} không dùng được ở địa chỉ này; dùng {allow}."
            en = f"Method {request.method} is not allowed here; use {allow}."
            headers = {**(headers or {}), "Allow": allow}
        else:
            vi = en = str(exc.detail)
        return JSONResponse(error_body("HttpError", vi, en, _lang(request)),
                            status_code=exc.status_code, headers=headers)

    app.add_exception_handler(PlanningError, planning_handler)
    # psycopg's own errors reach here from the async read path, SQLAlchemy's from the others.
    for db_error in (DBAPIError, DisconnectionError, sa_exc.TimeoutError, psycopg.Error):
        app.add_exception_handler(db_error, database_handler)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_handler)


HTTP_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at the request's path (HEAD wherever GET is)."""
    allowed: set[str] = set()
    for method in HTTP_METHODS:
        # A fresh scope: the request's own carries what its partial match left in it.
        scope = {"type": "http", "method": method, "path": request.scope["path"],
                 "root_path": request.scope.get("root_path", ""), "headers": []}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.add(method)
    if "GET" in allowed:
        allowed.add("HEAD")
    return sorted(allowed)


INTERNAL_ERROR = ("Đã xảy ra lỗi trong máy chủ; xin thử lại sau hoặc báo cho quản trị viên.",
                  "Something went wrong on the server; try again later or tell the administrator.")


class LastResortMiddleware:
    """Answer an exception no handler took with a JSON 500 that names nothing of its cause.

    The exception is logged and not raised on, so the server keeps the connection open.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; on an unexpected exception before the response, send a JSON 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            log.exception("Unexpected error answering %s %r", scope["method"], scope["path"])
            if started:
                raise
            vi, en = INTERNAL_ERROR
            response = JSONResponse(error_body("InternalError", vi, en, _lang(Request(scope))),
                                    status_code=500)
            await response(scope, receive, send)
