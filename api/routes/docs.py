"""The API's documentation pages (/docs, /redoc), their scripts served by the service itself."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from api.security import csp_nonce

router = APIRouter(include_in_schema=False)

OAUTH2_REDIRECT = "/docs/oauth2-redirect"


def _stamped(page: HTMLResponse, request: Request) -> HTMLResponse:
    """The page with the response's nonce on its inline scripts (FastAPI's own, no user data)."""
    html = bytes(page.body).decode().replace("<script>", f'<script nonce="{csp_nonce(request)}">')
    return HTMLResponse(html)


def _urls(request: Request) -> tuple[str, str]:
    root = request.scope.get("root_path", "").rstrip("/")
    return root, root + (request.app.openapi_url or "/openapi.json")


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI of the OpenAPI document."""
    root, openapi_url = _urls(request)
    page = get_swagger_ui_html(
        openapi_url=openapi_url, title=f"{request.app.title} — Swagger UI",
        oauth2_redirect_url=root + OAUTH2_REDIRECT,
        swagger_js_url=f"{root}/static/lib/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url=f"{root}/static/lib/swagger-ui/swagger-ui.css",
        swagger_favicon_url=f"{root}/static/lib/swagger-ui/favicon-32x32.png",
        # No badge from the online validator: this service reaches no other site.
        swagger_ui_parameters={"validatorUrl": None},
    )
    return _stamped(page, request)


@router.get(OAUTH2_REDIRECT)
def swagger_ui_redirect(request: Request) -> HTMLResponse:
    """Swagger UI's OAuth2 redirect page."""
    return _stamped(get_swagger_ui_oauth2_redirect_html(), request)


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc of the OpenAPI document."""
    root, openapi_url = _urls(request)
    return get_redoc_html(
        openapi_url=openapi_url, title=f"{request.app.title} — ReDoc",
        redoc_js_url=f"{root}/static/lib/redoc/redoc.standalone.js",
        redoc_favicon_url=f"{root}/static/lib/swagger-ui/favicon-32x32.png",
        with_google_fonts=False,
    )
