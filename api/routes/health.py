"""Health of the service and its database."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ConnDep
from layers.queries import schema_revision

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health")
def health(conn: ConnDep) -> dict[str, str]:
    """Say the service answers and which schema revision its database is at.

    Server versions are not shown here (they tell an attacker which flaws to try); the command
    `quyhoach db status` prints them.
    """
    return {"status": "ok", "schema": schema_revision(conn)}
