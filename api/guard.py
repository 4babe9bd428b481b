"""Requests refused or reshaped before routing, the same way on every route.

`RequestGuard` answers 400 (vi/en JSON) when the percent-decoded path or query string holds a
C0 control character or DEL (NUL included), is not UTF-8, or carries an integer beyond 64 bits
or written in digits other than 0-9: no route, driver or log line ever sees such a value.
`HeadAsGet` answers HEAD wherever GET is served, with the GET response's headers and no body.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.params import INT64_MAX

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INTEGER = re.compile(r"[+-]?[0-9]+")

Problem = tuple[str, str]


def _decode(raw: bytes) -> str | None:
    """Percent-decode and read as UTF-8; None when the bytes are not UTF-8."""
    try:
        return (unquote_to_bytes(raw) if b"%" in raw else raw).decode("utf-8")
    except UnicodeDecodeError:
        return None


# Any ASCII text this short that reads as an integer fits in 64 bits.
_SHORT = len(str(INT64_MAX)) - 1


def _bad_integer(value: str) -> bool:
    """An integer beyond 64 bits, or digits other than 0-9 (which `int()` may not read)."""
    if len(value) <= _SHORT and value.isascii():
        return False
    if value.isdigit() and not value.isascii():
        return True
    if not _INTEGER.fullmatch(value):
        return False
    digits = value.lstrip("+-").lstrip("0")
    return len(digits) > len(str(INT64_MAX)) or int(digits or "0") > INT64_MAX


def _check_path(raw: bytes) -> Problem | None:
    path = _decode(raw)
    if path is None:
        return ("Đường dẫn không phải UTF-8 hợp lệ.", "The path is not valid UTF-8.")
    if _CONTROL.search(path):
        return ("Đường dẫn chứa ký tự điều khiển (ví dụ NUL), không được phép.",
                "The path contains a control character (such as NUL), which is not allowed.")
    if any(_bad_integer(part) for part in path.split("/")):
        return (f"Đường dẫn chứa số không dùng được (chỉ chữ số 0–9, tối đa {INT64_MAX}).",
                f"The path holds a number that cannot be used (digits 0–9 only, at most "
                f"{INT64_MAX}).")
    return None


def _check_query(query: bytes) -> tuple[Problem | None, str | None]:
    """(the problem of a query string or None, its `lang` value if valid)."""
    lang = None
    for pair in query.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decode(raw_name.replace(b"+", b" "))
        if name is None or _CONTROL.search(name):
            return ("Tên một tham số không hợp lệ (ký tự điều khiển hoặc không phải UTF-8).",
                    "A parameter name is not valid (a control character, or not UTF-8)."), lang
        value = _decode(raw_value.replace(b"+", b" "))
        if value is None:
            return (f"Giá trị của tham số '{name}' không phải UTF-8 hợp lệ.",
                    f"The value of parameter '{name}' is not valid UTF-8."), lang
        if _CONTROL.search(value):
            return (f"Giá trị của tham số '{name}' chứa ký tự điều khiển (ví dụ NUL), "
                    "không được phép.",
                    f"The value of parameter '{name}' contains a control character "
                    "(such as NUL), which is not allowed."), lang
        if _bad_integer(value):
            return (f"Giá trị của tham số '{name}' không phải số dùng được (chỉ chữ số 0–9, "
                    f"tối đa {INT64_MAX}).",
                    f"The value of parameter '{name}' is not a usable number (digits 0–9 only, "
                    f"at most {INT64_MAX})."), lang
        if name == "lang" and value in ("vi", "en"):
            lang = value
    return None, lang


def request_problem(scope: Scope) -> tuple[Problem | None, str | None]:
    """(what makes a request unacceptable or None, the reader's language if the query says)."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    problem, lang = _check_query(scope.get("query_string", b""))
    return _check_path(raw_path) or problem, lang


def _accept_language(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"accept-language":
            return "en" if value.strip().lower().startswith(b"en") else "vi"
    return "vi"


class RequestGuard:
    """Refuse control characters, bad UTF-8 and oversized integers in the path and query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400 for an unacceptable request, else pass it on."""
        if scope["type"] == "http":
            problem, lang = request_problem(scope)
            if problem is not None:
                vi, en = problem
                body = error_body("InvalidParameterValue", vi, en, lang or _accept_language(scope))
                await JSONResponse(body, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class HeadAsGet:
    """Serve HEAD as the GET of the same URL, sending its status and headers only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a HEAD request as GET and drop the body."""
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
