"""Sign-in (/login), sign-out (/logout) and who am I (/me)."""

from __future__ import annotations

from html import escape

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api import auth
from api.deps import LangDep
from api.routes.collections import ErrorBody
from core.errors import AnsweredError, PayloadTooLargeError, PlanningError
from core.i18n import AUTH_WORDS, phrase
from layers import accounts

router = APIRouter(tags=["Tài khoản – accounts"])

LOGIN_COOKIE_AGE = 3600
ME_ERRORS = {401: {"model": ErrorBody, "description": "Not signed in, or a bad token."}}

PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 24rem; margin: 4rem auto; padding: 0 1rem; }}
label {{ display: block; margin-top: 1rem; }} input {{ width: 100%; padding: .4rem; }}
button {{ margin-top: 1.2rem; padding: .5rem 1.2rem; }} .error {{ color: #b00020; }}
nav {{ margin-top: 2rem; font-size: .9rem; }}
</style></head>
<body><h1>{heading}</h1>{body}
<nav><a href="/">{home}</a> · <a href="/login?lang={other}">{other_lang}</a></nav></body></html>
"""


def _w(key: str, lang: str, **values: object) -> str:
    return escape(phrase(AUTH_WORDS, key, lang, **values))


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this service, never another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/map"
    return target


def _page(request: Request, lang: str, body: str, status: int = 200) -> HTMLResponse:
    html = PAGE.format(lang=lang, title=_w("title", lang), heading=_w("heading", lang),
                       body=body, home=_w("home", lang), other="en" if lang == "vi" else "vi",
                       other_lang=_w("other_lang", lang))
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _form_page(request: Request, lang: str, target: str, error: str | None = None,
               status: int = 200, name: str = "") -> HTMLResponse:
    token = auth.new_form_token(request)
    message = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (f'{message}<form method="post" action="/login?lang={lang}">'
            f'<input type="hidden" name="{auth.CSRF_FIELD}" value="{escape(token)}">'
            f'<input type="hidden" name="next" value="{escape(target)}">'
            f'<label>{_w("name", lang)}<input name="name" autocomplete="username" required '
            f'value="{escape(name)}"></label>'
            f'<label>{_w("password", lang)}<input name="password" type="password" '
            f'autocomplete="current-password" required></label>'
            f'<button type="submit">{_w("submit", lang)}</button></form>')
    response = _page(request, lang, body, status)
    auth.set_cookie(request, response, auth.LOGIN_COOKIE, token, LOGIN_COOKIE_AGE)
    return response


@router.get("/login", response_class=HTMLResponse, summary="Sign-in page")
async def login_page(request: Request, lang: LangDep, next: str | None = None) -> HTMLResponse:
    """The sign-in form, or who is signed in with a sign-out button."""
    user = await auth.current_user(request)
    if user is None:
        return _form_page(request, lang, safe_next(next))
    csrf = request.cookies.get(auth.CSRF_COOKIE, "")
    body = (f'<p>{_w("signed_in", lang, name=user.name, role=user.role)}</p>'
            f'<form method="post" action="/logout">'
            f'<input type="hidden" name="{auth.CSRF_FIELD}" value="{escape(csrf)}">'
            f'<button type="submit">{_w("sign_out", lang)}</button></form>')
    return _page(request, lang, body)


async def _small_form(request: Request) -> dict[str, str]:
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > auth.FORM_MAX_BYTES:
        raise PayloadTooLargeError("Biểu mẫu quá lớn.", "The form is too large.")
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/login", response_class=HTMLResponse, summary="Sign in",
             responses={303: {"description": "Signed in; sent on to `next`."},
                        401: {"description": "Wrong name or password."},
                        403: {"description": "The form's token is missing or stale."},
                        429: {"description": "Too many failed sign-ins; see Retry-After."}},
             openapi_extra={"requestBody": {"content": {auth.FORM_TYPE: {"schema": {
                 "type": "object", "required": ["name", "password", auth.CSRF_FIELD],
                 "properties": {"name": {"type": "string"}, "password": {"type": "string"},
                                auth.CSRF_FIELD: {"type": "string"},
                                "next": {"type": "string"}}}}}}})
async def login(request: Request, lang: LangDep) -> Response:
    """Check the name and password (throttled per account and address) and open a session."""
    form = await _small_form(request)
    target = safe_next(form.get("next"))
    name, password = form.get("name", "").strip(), form.get("password", "")
    if not auth.form_token_ok(request, form.get(auth.CSRF_FIELD)):
        return _form_page(request, lang, target, phrase(AUTH_WORDS, "form_expired", lang), 403,
                          name)
    if not name or not password:
        return _form_page(request, lang, target, phrase(AUTH_WORDS, "missing", lang), 400, name)
    settings = request.app.state.settings
    address = auth.client_address(request)

    def sign_in() -> tuple[accounts.User, accounts.NewSession]:
        with request.app.state.engine.connect() as conn:
            try:
                user = accounts.authenticate(conn, name, password, address)
            finally:
                conn.commit()  # the attempt is kept, right or wrong
            session = accounts.open_session(conn, user, address,
                                            settings.session_lifetime_hours)
            conn.commit()
            return user, session

    try:
        user, session = await run_in_threadpool(sign_in)
    except PlanningError as exc:
        status = 429 if exc.code == "TooManyRequests" else 401
        response = _form_page(request, lang, target,
                              exc.message_en if lang == "en" else exc.message, status, name)
        if isinstance(exc, AnsweredError) and exc.headers:
            response.headers.update(exc.headers)
        return response
    response = RedirectResponse(target, status_code=303)
    age = int(settings.session_lifetime_hours * 3600)
    auth.set_cookie(request, response, auth.SESSION_COOKIE, session.id, age)
    auth.set_cookie(request, response, auth.CSRF_COOKIE, session.csrf, age, http_only=False)
    auth.clear_cookie(request, response, auth.LOGIN_COOKIE)
    return response


@router.post("/logout", summary="Sign out",
             responses={303: {"description": "Signed out; sent to /login."},
                        403: {"model": ErrorBody, "description": "The CSRF token is missing."}})
async def logout(request: Request) -> Response:
    """End the browser session (the CSRF token is required, as for every cookie write)."""
    user = await auth.current_user(request)
    session_id = request.cookies.get(auth.SESSION_COOKIE)
    if user is not None and session_id:
        def close() -> None:
            with request.app.state.engine.begin() as conn:
                accounts.close_session(conn, session_id)

        await run_in_threadpool(close)
    response = RedirectResponse("/login", status_code=303)
    for name in (auth.SESSION_COOKIE, auth.CSRF_COOKIE):
        auth.clear_cookie(request, response, name)
    return response


@router.get("/me", summary="The signed-in account", responses=ME_ERRORS)
async def me(user: auth.StaffDep, request: Request) -> Response:
    """Name, role and units of the signed-in account, and how it signed in."""
    return Response(orjson.dumps({"name": user.name, "role": user.role, "units": user.units,
                                  "via": auth.via(request)}),
                    media_type="application/json", headers={"Cache-Control": "no-store"})
