"""Who may read and write what: read levels of layers and attributes, roles and scopes.

Reading: a layer is `public` or `staff`, and a public layer may still hold `staff_attributes`
(`LayerSpec`). Staff are signed-in users of any role; anonymous readers never see a staff layer
(it does not exist for them) nor a staff attribute, from any output. Figures that add such
attributes up (a project's compensation total) stay public.

Writing: an admin writes everywhere; an editor writes the features that lie in one of the
administrative units of their scope, by the rule the figures use (`accounts.in_scope.sql`); a
viewer and an anonymous reader write nothing.
"""

from __future__ import annotations

from typing import Any

import shapely
from sqlalchemy import Connection

from core.errors import ForbiddenError, NotFoundError, UnauthorizedError
from gis.db import load_sql
from gis.srs import VN2000
from layers import audit
from layers.accounts import User
from layers.registry import LayerSpec

STAFF = "staff"
# The scope rule of a layer's features (any layer not named here: the geometries intersect).
SCOPE_RULES = {"projects": "interior", "parcels": "point", "plans": "covered"}


def is_staff(user: User | None) -> bool:
    """Whether a reader may see staff layers and attributes: any signed-in user."""
    return user is not None


def may_read(spec: LayerSpec, user: User | None) -> bool:
    """Whether a reader may see a layer at all."""
    return spec.read_access != STAFF or is_staff(user)


def hidden_attributes(spec: LayerSpec, user: User | None) -> frozenset[str]:
    """The attributes of a layer kept from this reader."""
    return frozenset() if is_staff(user) else frozenset(spec.staff_attributes)


def visible_columns(spec: LayerSpec, columns: tuple[str, ...], user: User | None
                    ) -> tuple[str, ...]:
    """The columns of a layer's output this reader may see, in their order."""
    hidden = hidden_attributes(spec, user)
    return tuple(c for c in columns if c not in hidden) if hidden else columns


def visible_properties(spec: LayerSpec, props: dict[str, Any], user: User | None
                       ) -> dict[str, Any]:
    """A feature's properties without those kept from this reader."""
    hidden = hidden_attributes(spec, user)
    return {k: v for k, v in props.items() if k not in hidden} if hidden else props


# --- writing ----------------------------------------------------------------------------------


def _anonymous() -> UnauthorizedError:
    return UnauthorizedError("Cần đăng nhập để ghi dữ liệu.", "Sign in to write data.",
                             headers={"WWW-Authenticate": "Bearer"})


def require_writer(user: User | None) -> User:
    """The user if they may write at all (editor or admin): 401 anonymous, 403 a viewer."""
    if user is None:
        raise _anonymous()
    if not user.can_write:
        raise ForbiddenError(
            f"Tài khoản '{user.name}' (vai trò {user.role}) chỉ được xem, không được ghi.",
            f"The account '{user.name}' (role {user.role}) may read but not write.")
    return user


def _ewkb(geom: Any) -> str:
    if isinstance(geom, str):
        return geom
    return shapely.to_wkb(shapely.set_srid(geom, VN2000), hex=True, include_srid=True)


def may_write(conn: Connection, user: User | None, layer: str, geom: Any) -> bool:
    """Whether a user may write a feature of `layer` with this geometry.

    `geom` is a shapely geometry in the storage grid (EPSG:5897) or its hex EWKB.
    """
    if user is None or not user.can_write:
        return False
    if user.is_admin:
        return True
    return bool(conn.execute(load_sql("accounts.in_scope.sql"), {
        "geom": _ewkb(geom), "user_id": user.id,
        "rule": SCOPE_RULES.get(layer, "intersects")}).scalar_one())


def require_scope(conn: Connection, user: User | None, layer: str, geom: Any) -> User:
    """The user if they may write this geometry of `layer`; 401, or 403 out of scope."""
    writer = require_writer(user)
    if not may_write(conn, writer, layer, geom):
        units = ", ".join(writer.units) or "—"
        raise ForbiddenError(
            f"Đối tượng nằm ngoài phạm vi được giao của tài khoản '{writer.name}' ({units}).",
            f"The feature lies outside the units assigned to '{writer.name}' ({units}).")
    return writer


def require_feature_scope(conn: Connection, user: User | None, layer: str,
                          feature_id: int) -> User:
    """The user if they may write the stored feature (its geometry as it is now); 404 if none."""
    writer = require_writer(user)
    geom = audit.stored_geometry(conn, layer, feature_id)
    if geom is None:
        raise NotFoundError(f"Không có đối tượng {feature_id} trong lớp {layer}.",
                            f"No feature {feature_id} in {layer}.")
    return require_scope(conn, writer, layer, geom)
