"""The hot read routes (items, one feature, vector tiles) answered without FastAPI's per-request machinery.

FastAPI's routing, dependency solving and exception layers cost more Python time per request than
the read itself on the hot routes (see `bench/README.md`). `HotRoutes`, the innermost middleware,
answers a GET to a route whose endpoint is marked `@hot` by calling that endpoint itself: the same
function FastAPI would call, with the same dependencies (the app's own, such as the sign-in gate,
and the route's), the same query parameters and the same exception handlers. Everything else, and
any request on an app whose dependencies a test has overridden, goes on to FastAPI.

A hot endpoint and its dependencies may take only what this module can give without FastAPI's
validation: the `Request`, path parameters and `str | None` query parameters, and `async def`
dependencies of the same kind. `HotRoutes` refuses anything else when the app is built.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.params import Depends, Query
from fastapi.routing import APIRoute
from starlette.convertors import StringConvertor
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

HOT = "__quyhoach_hot__"

Endpoint = Callable[..., Awaitable[Any]]


def hot(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint to be answered by `HotRoutes` (apply below the router's decorator)."""
    setattr(endpoint, HOT, True)
    return endpoint


class NotHotError(TypeError):
    """A hot endpoint or dependency takes something `HotRoutes` cannot give."""


# How one argument is made: ("request",), ("path", name), ("query", alias) or ("call", Plan).
Source = tuple[Any, ...]


@dataclass(frozen=True)
class Plan:
    """How to call one function: its arguments' sources."""

    call: Endpoint
    args: tuple[tuple[str, Source], ...]

    def calls(self) -> Iterable[Endpoint]:
        """This function and every dependency below it."""
        yield self.call
        for _, source in self.args:
            if source[0] == "call":
                yield from source[1].calls()


def _dependency(annotation: Any, default: Any) -> Depends | None:
    if isinstance(default, Depends):
        return default
    if typing.get_origin(annotation) is typing.Annotated:
        return next((m for m in annotation.__metadata__ if isinstance(m, Depends)), None)
    return None


def _is_optional_str(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation is str or set(typing.get_args(annotation)) == {str, type(None)}


def plan(call: Endpoint, path_params: frozenset[str]) -> Plan:
    """The plan of `call`, or NotHotError naming what it takes that this module cannot give."""
    name = getattr(call, "__qualname__", repr(call))
    if not inspect.iscoroutinefunction(call):
        raise NotHotError(f"{name}: a hot route's endpoint and dependencies are `async def`")
    hints = typing.get_type_hints(call, include_extras=True)
    args: list[tuple[str, Source]] = []
    for param in inspect.signature(call).parameters.values():
        annotation = hints.get(param.name, param.annotation)
        depends = _dependency(annotation, param.default)
        if annotation is Request:
            args.append((param.name, ("request",)))
        elif depends is not None and depends.dependency is not None:
            args.append((param.name, ("call", plan(depends.dependency, path_params))))
        elif isinstance(param.default, Query) and _is_optional_str(annotation):
            args.append((param.name, ("query", param.default.alias or param.name)))
        elif param.name in path_params and _is_optional_str(annotation):
            args.append((param.name, ("path", param.name)))
        else:
            raise NotHotError(f"{name}: parameter '{param.name}' is not one a hot route can take")
    return Plan(call, tuple(args))


@dataclass(frozen=True)
class HotRoute:
    """One hot route: its path pattern and the plans of the app's dependencies and endpoint."""

    path: str
    pattern: re.Pattern[str]
    prelude: tuple[Plan, ...]
    endpoint: Plan
    calls: frozenset[Endpoint]


def hot_routes(routes: Sequence[Any], app_dependencies: Sequence[Depends]) -> list[HotRoute]:
    """The GET routes among `routes` whose endpoints are marked hot, planned."""
    found = []
    for route in routes:
        if not (isinstance(route, APIRoute) and getattr(route.endpoint, HOT, False)):
            continue
        if route.methods != {"GET"}:
            raise NotHotError(f"{route.path}: only GET routes are hot")
        # Starlette's own compiled pattern of the route; its parameters are taken as strings.
        if any(not isinstance(c, StringConvertor) for c in route.param_convertors.values()):
            raise NotHotError(f"{route.path}: a hot route's path parameters are plain strings")
        pattern, names = route.path_regex, frozenset(route.param_convertors)
        prelude = tuple(plan(d.dependency, names) for d in (*app_dependencies, *route.dependencies)
                        if d.dependency is not None)
        endpoint = plan(route.endpoint, names)
        calls = frozenset(c for p in (*prelude, endpoint) for c in p.calls())
        found.append(HotRoute(route.path, pattern, prelude, endpoint, calls))
    return found


def route_path(scope: Scope) -> str:
    """The path the routes see: the request's, less the root path it was mounted under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] == "/":
        return path[len(root):]
    return path


def _handler(app: FastAPI, exc: Exception) -> Callable[..., Any] | None:
    handlers = app.exception_handlers
    return next((handlers[cls] for cls in type(exc).__mro__ if cls in handlers), None)


class HotRoutes:
    """Innermost middleware: a GET to a hot route calls its endpoint directly."""

    def __init__(self, app: ASGIApp, routes: Sequence[HotRoute], prefix: str = "/") -> None:
        self.app = app
        self.routes = tuple(routes)
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a hot route's GET, else pass the request on."""
        if scope["type"] == "http" and scope["method"] == "GET" and self.routes:
            path = route_path(scope)
            if path.startswith(self.prefix):
                for route in self.routes:
                    match = route.pattern.match(path)
                    if match is not None:
                        fastapi_app: FastAPI = scope["app"]
                        overrides = fastapi_app.dependency_overrides
                        if not (overrides and route.calls.intersection(overrides)):
                            await self._answer(fastapi_app, route, match.groupdict(), scope,
                                               receive, send)
                            return
                        break
        await self.app(scope, receive, send)

    async def _answer(self, app: FastAPI, route: HotRoute, path_params: dict[str, str],
                      scope: Scope, receive: Receive, send: Send) -> None:
        scope["path_params"] = path_params
        request = Request(scope, receive)
        # The query string read once; a name given twice reads as its last value, as in Starlette.
        query = dict(request.query_params)
        cache: dict[Endpoint, Any] = {}
        try:
            for dependency in route.prelude:
                await _run(dependency, request, path_params, query, cache)
            response: Response = await _run(route.endpoint, request, path_params, query, cache)
        except Exception as exc:
            handler = _handler(app, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)


async def _run(p: Plan, request: Request, path_params: dict[str, str], query: dict[str, str],
               cache: dict[Endpoint, Any]) -> Any:
    """Call a planned function, each dependency once per request (as FastAPI caches them)."""
    if p.call in cache:
        return cache[p.call]
    kwargs: dict[str, Any] = {}
    for name, source in p.args:
        kind = source[0]
        if kind == "request":
            kwargs[name] = request
        elif kind == "path":
            kwargs[name] = path_params[source[1]]
        elif kind == "query":
            kwargs[name] = query.get(source[1])
        else:
            kwargs[name] = await _run(source[1], request, path_params, query, cache)
    result = cache[p.call] = await p.call(**kwargs)
    return result
