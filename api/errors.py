"""Errors a planner can read, each with its HTTP status said once."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("quyhoach")


class PlanningError(Exception):
    """Base error; `message` is shown to the user, `detail` only logged."""

    code = "error"

    def __init__(self, message: str, message_en: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message
        self.detail = detail


class InvalidParameterError(PlanningError):
    """A query parameter is malformed or out of range."""

    code = "InvalidParameterValue"


class NotFoundError(PlanningError):
    """The collection, feature or resource does not exist."""

    code = "NotFound"


class InvalidDataError(PlanningError):
    """Uploaded data is malformed, invalid or in the wrong CRS."""

    code = "InvalidData"


class PayloadTooLargeError(PlanningError):
    """An upload exceeds the configured size."""

    code = "PayloadTooLarge"


class ServiceBusyError(PlanningError):
    """A bounded resource (the browser pool) is busy."""

    code = "ServiceUnavailable"


STATUS_CODES: dict[type[PlanningError], int] = {
    InvalidParameterError: 400,
    InvalidDataError: 422,
    NotFoundError: 404,
    PayloadTooLargeError: 413,
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
        return JSONResponse(error_body(exc.code, exc.message, exc.message_en, _lang(request)),
                            status_code=status)

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
        if exc.status_code == 404:
            vi, en = "Không tìm thấy tài nguyên.", "Resource not found."
        else:
            vi = en = str(exc.detail)
        return JSONResponse(error_body("HttpError", vi, en, _lang(request)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))

    app.add_exception_handler(PlanningError, planning_handler)
    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_handler)
