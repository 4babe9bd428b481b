"""Annotated dependencies shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from api.errors import NotFoundError
from api.settings import Settings
from layers.registry import LAYERS, LayerSpec


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_conn(request: Request) -> Iterator[Connection]:
    """A pooled connection for the request."""
    with request.app.state.engine.connect() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ConnDep = Annotated[Connection, Depends(get_conn)]


def get_layer(collection_id: str) -> LayerSpec:
    """The layer of a collection id, or a 404 that names the known ones."""
    spec = LAYERS.get(collection_id)
    if spec is None:
        known = ", ".join(LAYERS)
        raise NotFoundError(
            f"Không có lớp dữ liệu '{collection_id}'. Các lớp: {known}.",
            f"Unknown collection '{collection_id}'. Collections: {known}.",
        )
    return spec


def get_lang(request: Request) -> str:
    """The reader's language: ?lang=, then Accept-Language, then the default (Vietnamese)."""
    lang = request.query_params.get("lang")
    if lang in ("vi", "en"):
        return lang
    if request.headers.get("accept-language", "").lower().startswith("en"):
        return "en"
    return request.app.state.settings.default_lang


def trusted_hosts(request: Request) -> set[str]:
    """Host names trusted in a Host header: the configured ones and the socket's own address."""
    hosts = {h.strip().lower() for h in request.app.state.settings.allowed_hosts.split(",")}
    server = request.scope.get("server")
    if server:
        hosts.add(str(server[0]).lower())
    return hosts - {""}


def public_base(request: Request) -> str:
    """The base of the service's absolute links, never taken from an untrusted Host header.

    The configured public URL; else the URL the request came to when its host is trusted;
    else the root path alone, so that links stay relative.
    """
    settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if (request.url.hostname or "").lower() in trusted_hosts(request):
        return str(request.base_url).rstrip("/")
    return str(request.scope.get("root_path", "")).rstrip("/")


def server_base(request: Request) -> str:
    """The address this server answered on, from its socket: for the service calling itself."""
    server = request.scope.get("server")
    if not server:
        return public_base(request)
    host, port = str(server[0]), server[1]
    if ":" in host:
        host = f"[{host}]"
    root = str(request.scope.get("root_path", "")).rstrip("/")
    netloc = f"{host}:{port}" if port else host
    return f"{request.url.scheme}://{netloc}{root}"


LayerDep = Annotated[LayerSpec, Depends(get_layer)]
LangDep = Annotated[str, Depends(get_lang)]
