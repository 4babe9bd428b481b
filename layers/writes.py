"""Writes made as a user: checked against role and scope, logged, in one transaction.

Each function takes the acting user and how the write came (`layers.audit.VIA`); it refuses
with 401/403 (`layers.access`) before anything stays written, and the audit entry commits or
rolls back with the write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from core.errors import NotFoundError
from layers import audit, plans
from layers.access import may_write, require_feature_scope, require_scope, require_writer
from layers.accounts import User


@contextmanager
def transaction(conn: Connection) -> Iterator[None]:
    """A transaction, or a savepoint when the connection is already in one."""
    tx = conn.begin_nested() if conn.in_transaction() else conn.begin()
    try:
        yield
        tx.commit()
    except BaseException:
        if tx.is_active:
            tx.rollback()
        raise


def import_plan(conn: Connection, store: Path, req: plans.ImportRequest, user: User | None,
                via: str) -> dict[str, Any]:
    """Import a plan as `user`: an editor whose scope covers its sheet, or an admin; audited.

    The sheet's place is known once it is read, so the check comes after the import, in the
    same transaction: a refused plan is rolled back, and a sheet stored only for it removed.
    """
    writer = require_writer(user)
    with transaction(conn):
        audit.act_as(conn, writer.name, via)
        result = plans.import_plan(conn, store, req)
        plan_id = int(result["id"])
        after = audit.snapshot(conn, "plans", plan_id)
        geom = audit.stored_geometry(conn, "plans", plan_id)
        if not may_write(conn, writer, "plans", geom):
            plans.delete_plan(conn, store, plan_id)
            require_scope(conn, writer, "plans", geom)
        audit.record(conn, writer, via, "plans", plan_id, "insert", None, after)
    return result


def delete_plan(conn: Connection, store: Path, plan_id: int, user: User | None,
                via: str) -> None:
    """Delete a plan as `user` (an editor whose scope covers it, or an admin); audited."""
    writer = require_writer(user)
    with transaction(conn):
        audit.act_as(conn, writer.name, via)
        before = audit.snapshot(conn, "plans", plan_id)
        if before is None:
            raise NotFoundError(f"Không có quy hoạch số {plan_id}.", f"No plan {plan_id}.")
        require_feature_scope(conn, writer, "plans", plan_id)
        audit.record(conn, writer, via, "plans", plan_id, "delete", before, None)
        plans.delete_plan(conn, store, plan_id)
