"""Who is asking: bearer tokens, session cookies, CSRF, roles, and the sign-in requirement.

- `CurrentUser`: the signed-in user of a request, or None for an anonymous reader. Scripts send
  `Authorization: Bearer <token>` (a bad, expired or revoked token is a 401 saying so); browsers
  carry the session cookie, and every cookie-authenticated write (any method but GET, HEAD and
  OPTIONS) must also send the session's CSRF token in the `X-CSRF-Token` header (or, for a
  urlencoded form, the `csrf_token` field), else 403. The token is in the `qh_csrf` cookie,
  which the page's scripts can read and a cross-site page cannot.
- `require_role("editor", "admin")`: a dependency giving the user when their role is one of
  those; 401 for an anonymous reader, 403 for another role. `EditorDep`, `AdminDep` and
  `StaffDep` (any signed-in user) are the usual ones. Scope (which features an editor may
  write) is decided with the feature's geometry by `layers.access.require_scope`.
- `via(request)`: how a write came, for the audit log: `map` from a browser session, `api` from
  a token.
- `sign_in_gate`: an app-wide dependency. With `require_sign_in` every route but /login,
  /logout, /health and /static needs a user (a browser asking for a page is sent to /login);
  and a `staff` collection does not exist (404) for an anonymous reader.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from core.errors import ForbiddenError, NotFoundError, UnauthorizedError
from core.settings import Settings
from layers import access, accounts
from layers.accounts import User
from layers.registry import LAYERS

log = logging.getLogger("quyhoach")

SESSION_COOKIE = "qh_session"
CSRF_COOKIE = "qh_csrf"
LOGIN_COOKIE = "qh_login"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
FORM_TYPE = "application/x-www-form-urlencoded"
FORM_MAX_BYTES = 16 * 1024
OPEN_PATHS = ("/login", "/logout", "/health")
OPEN_PREFIXES = ("/static/",)
_STATE_USER = "qh_user"
_STATE_VIA = "qh_via"
_STATE_CSRF = "qh_csrf_hash"


def install(app: FastAPI, settings: Settings) -> None:
    """Keep the key that signs sign-in forms; without `session_secret` each process makes one."""
    secret = settings.session_secret
    if not secret:
        log.warning("QUYHOACH_SESSION_SECRET is not set: this process signs its sign-in forms "
                    "with a key of its own, so a form shown by another worker will be refused.")
        secret = secrets.token_urlsafe(32)
    app.state.session_secret = secret


def is_https(request: Request) -> bool:
    """Whether the service is reached over HTTPS (the request, or the public URL's scheme)."""
    public = request.app.state.settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


def client_address(request: Request) -> str:
    """The peer's address, as the server saw it (a proxy in front must pass the real one)."""
    return request.client.host if request.client else "unknown"


def _lookup(request: Request, fn: Callable[..., object], *args: object) -> object:
    with request.app.state.engine.begin() as conn:
        return fn(conn, *args)


async def _resolve(request: Request) -> User | None:
    """The user of a request's credentials (once per request), without the CSRF check."""
    state = request.state
    if hasattr(state, _STATE_USER):
        return getattr(state, _STATE_USER)
    user: User | None = None
    via = None
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise UnauthorizedError(
                "Chỉ nhận mã truy cập dạng 'Authorization: Bearer <mã>'.",
                "Only 'Authorization: Bearer <token>' is accepted.",
                headers={"WWW-Authenticate": "Bearer"})
        found = await run_in_threadpool(_lookup, request, accounts.token_user,
                                        credentials.strip())
        assert isinstance(found, User)
        user, via = found, "api"
    elif session_id := request.cookies.get(SESSION_COOKIE):
        found = await run_in_threadpool(_lookup, request, accounts.session_user, session_id)
        if found is not None:
            assert isinstance(found, tuple)
            user, via = found[0], "map"
            setattr(state, _STATE_CSRF, found[1])
    setattr(state, _STATE_USER, user)
    setattr(state, _STATE_VIA, via)
    return user


async def csrf_token_of(request: Request) -> str | None:
    """The CSRF token a request sends: the header, or a small urlencoded form's field."""
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    length = request.headers.get("content-length", "")
    if content_type == FORM_TYPE and length.isdigit() and int(length) <= FORM_MAX_BYTES:
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request) -> None:
    """Refuse (403) a cookie-authenticated write that does not carry the session's CSRF token."""
    expected = getattr(request.state, _STATE_CSRF, None)
    if expected is None or request.method in SAFE_METHODS:
        return
    if not accounts.same_secret(expected, await csrf_token_of(request)):
        raise ForbiddenError(
            "Thiếu mã chống giả mạo (CSRF) hoặc mã không đúng; tải lại trang rồi thử lại.",
            "The CSRF token is missing or wrong; reload the page and try again.")


async def current_user(request: Request) -> User | None:
    """The signed-in user, or None; a cookie-authenticated write must carry its CSRF token."""
    user = await _resolve(request)
    await check_csrf(request)
    return user


CurrentUser = Annotated[User | None, Depends(current_user)]


def via(request: Request) -> str:
    """How the request's write came, for the audit log: `map` (a session) or `api` (a token)."""
    return getattr(request.state, _STATE_VIA, None) or "api"


def sign_in_required() -> UnauthorizedError:
    """The 401 of an anonymous request where a user is needed."""
    return UnauthorizedError("Cần đăng nhập.", "Sign-in required.",
                             headers={"WWW-Authenticate": "Bearer"})


def require_role(*roles: str) -> Callable[[Request], Awaitable[User]]:
    """A dependency giving the user when their role is one of `roles`; 401 or 403 otherwise."""
    assert roles and all(r in accounts.ROLES for r in roles)

    async def dependency(request: Request) -> User:
        user = await current_user(request)
        if user is None:
            raise sign_in_required()
        if user.role not in roles:
            raise ForbiddenError(
                f"Tài khoản '{user.name}' (vai trò {user.role}) không được làm việc này; "
                f"cần vai trò {' hoặc '.join(roles)}.",
                f"The account '{user.name}' (role {user.role}) may not do this; it needs the "
                f"role {' or '.join(roles)}.")
        return user

    return dependency


EditorDep = Annotated[User, Depends(require_role("editor", "admin"))]
AdminDep = Annotated[User, Depends(require_role("admin"))]
StaffDep = Annotated[User, Depends(require_role(*accounts.ROLES))]


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


async def sign_in_gate(request: Request) -> None:
    """Sign-in for every route when the settings require it; staff collections hidden (404)."""
    if (request.app.state.settings.require_sign_in and not _open(request.url.path)
            and await _resolve(request) is None):
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            raise SignInRedirect(request)
        raise sign_in_required()
    collection_id = request.path_params.get("collection_id")
    spec = LAYERS.get(collection_id) if isinstance(collection_id, str) else None
    if (spec is not None and spec.read_access == access.STAFF
            and not access.may_read(spec, await _resolve(request))):
        known = ", ".join(s.id for s in LAYERS.values() if s.read_access != access.STAFF)
        raise NotFoundError(
            f"Không có lớp dữ liệu '{collection_id}'. Các lớp: {known}.",
            f"Unknown collection '{collection_id}'. Collections: {known}.")


class SignInRedirect(Exception):
    """A browser asking for a page without signing in: sent to /login, then back."""

    def __init__(self, request: Request):
        super().__init__("sign-in required")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        self.location = f"{request.scope.get('root_path', '')}/login?{urlencode({'next': target})}"


async def redirect_to_sign_in(request: Request, exc: Exception) -> Response:
    """Answer a SignInRedirect."""
    assert isinstance(exc, SignInRedirect)
    return RedirectResponse(exc.location, status_code=303)


# --- the sign-in form's own token (before there is a session) ---------------------------------


def _sign(request: Request, nonce: str) -> str:
    key = request.app.state.session_secret.encode()
    return hmac.new(key, nonce.encode(), hashlib.sha256).hexdigest()


def new_form_token(request: Request) -> str:
    """A signed token for the sign-in form, also set as a cookie (double submit)."""
    nonce = secrets.token_urlsafe(16)
    return f"{nonce}.{_sign(request, nonce)}"


def form_token_ok(request: Request, submitted: str | None) -> bool:
    """Whether a sign-in form's token is the cookie's and carries this service's signature."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    if not submitted or not cookie or not hmac.compare_digest(cookie, submitted):
        return False
    nonce, _, signature = submitted.partition(".")
    return hmac.compare_digest(signature, _sign(request, nonce))


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int,
               http_only: bool = True) -> None:
    """Set one of the service's cookies: SameSite=Lax, Secure over HTTPS, the whole site."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=http_only,
                        samesite="lax", secure=is_https(request))


def clear_cookie(request: Request, response: Response, name: str) -> None:
    """Remove one of the service's cookies."""
    response.delete_cookie(name, path="/", samesite="lax", secure=is_https(request),
                           httponly=name != CSRF_COOKIE)
