"""Health of the service and its database."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from api.deps import ConnDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Service and database health")
def health(conn: ConnDep) -> dict[str, str]:
    """Report the PostgreSQL and PostGIS versions the service talks to."""
    row = conn.execute(text(
        "SELECT current_setting('server_version'), postgis_lib_version(), "
        "(SELECT string_agg(version_num, $$,$$ ORDER BY version_num) FROM alembic_version)"
    )).one()
    return {"status": "ok", "postgresql": row[0], "postgis": row[1], "schema": row[2] or ""}
