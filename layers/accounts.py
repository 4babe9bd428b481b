"""Accounts: users and their roles and scopes, passwords, tokens, browser sessions, throttling.

Passwords are argon2id hashes (argon2-cffi's defaults, RFC 9106). Tokens and session ids are
random 256-bit strings of which only a SHA-256 digest is stored: they are too long to guess, so a
fast digest suffices, and a stolen table gives nobody a way in. Every check is one statement in
`layers/sql/accounts.*.sql`, so several workers (and hosts) agree on sessions and throttling.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from core.errors import (
    ForbiddenError,
    InvalidParameterError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from gis.db import load_sql

ROLES = ("viewer", "editor", "admin")
WRITERS = ("editor", "admin")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
TOKEN_PREFIX = "qh_"
TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 3650

# Failed sign-ins: free up to these counts (per account since its last success, per address),
# then each failure doubles the wait from BASE seconds, up to CAP.
ACCOUNT_FREE = 3
ADDRESS_FREE = 20
THROTTLE_BASE_S = 2.0
THROTTLE_CAP_S = 900.0

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so that a wrong name takes as long as a wrong password."""
    return _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class User:
    """A signed-in person or script: who, with what role, writing in which units."""

    id: int
    name: str
    role: str
    units: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        """Admins manage accounts, read the audit log and write everywhere."""
        return self.role == "admin"

    @property
    def can_write(self) -> bool:
        """Editors (in their scope) and admins write."""
        return self.role in WRITERS


def digest(secret: str) -> str:
    """The stored form of a token, session id or CSRF token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(stored_digest: str, given: str | None) -> bool:
    """Whether a given secret matches a stored digest (compared in constant time)."""
    return bool(given) and hmac.compare_digest(stored_digest, digest(given or ""))


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _HASHER.hash(password)


def check_password(password: str) -> None:
    """Refuse a password too short to be one."""
    if len(password) < MIN_PASSWORD:
        raise InvalidParameterError(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.",
                                    f"A password needs at least {MIN_PASSWORD} characters.")


def check_name(name: str) -> str:
    """A valid account name, or a 400 that says what one looks like."""
    if not NAME_PATTERN.match(name or ""):
        raise InvalidParameterError(
            f"Tên tài khoản '{name}' không hợp lệ: chữ, số và . _ @ -, tối đa 64 ký tự.",
            f"Invalid account name '{name}': letters, digits and . _ @ -, at most 64.")
    return name


def check_role(role: str) -> str:
    """A known role, or a 400 naming them."""
    if role not in ROLES:
        raise InvalidParameterError(f"Vai trò '{role}' không hợp lệ ({', '.join(ROLES)}).",
                                    f"Unknown role '{role}' ({', '.join(ROLES)}).")
    return role


def _user(row: Any) -> User:
    return User(int(row.id), row.name, row.role, tuple(row.units or ()))


def _no_user(name: str) -> NotFoundError:
    return NotFoundError(f"Không có tài khoản '{name}'.", f"No account '{name}'.")


def find(conn: Connection, name: str) -> Any:
    """The account row of a name (password hash and disabled flag included), or None."""
    return conn.execute(load_sql("accounts.user.sql"), {"name": name}).one_or_none()


def get_user(conn: Connection, name: str) -> User:
    """The enabled account of a name; 404 when there is none, 403 when it is disabled."""
    row = find(conn, name)
    if row is None:
        raise _no_user(name)
    if row.disabled:
        raise ForbiddenError(f"Tài khoản '{row.name}' đã bị khóa.",
                             f"The account '{row.name}' is disabled.")
    return _user(row)


def check_units(conn: Connection, units: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The given administrative unit ids, each known to `admin_units`; 400 otherwise."""
    wanted = tuple(dict.fromkeys(u.strip() for u in units if u.strip()))
    if not wanted:
        return ()
    known = conn.execute(load_sql("accounts.units_known.sql"), {"units": list(wanted)}).scalar()
    if known is None:
        raise InvalidParameterError(
            "Chưa có bảng đơn vị hành chính (admin_units): chạy quyhoach db migrate và nạp dữ "
            "liệu đơn vị trước.",
            "There is no administrative units table (admin_units) yet: run quyhoach db migrate "
            "and load the units first.")
    unknown = [u for u in wanted if u not in set(known)]
    if unknown:
        raise InvalidParameterError(
            f"Không có đơn vị hành chính: {', '.join(unknown)}.",
            f"Unknown administrative unit(s): {', '.join(unknown)}.")
    return wanted


def add_user(conn: Connection, name: str, role: str, password: str,
             units: list[str] | tuple[str, ...] = ()) -> User:
    """Create an account (the caller commits); 409-like 400 when the name is taken."""
    check_name(name)
    check_role(role)
    check_password(password)
    if find(conn, name) is not None:
        raise InvalidParameterError(f"Tài khoản '{name}' đã có.", f"The account '{name}' exists.")
    scope = check_units(conn, units)
    user_id = conn.execute(load_sql("accounts.insert.sql"), {
        "name": name, "password_hash": hash_password(password), "role": role}).scalar_one()
    for unit in scope:
        conn.execute(load_sql("accounts.scope_add.sql"), {"user_id": user_id, "unit_id": unit})
    return User(int(user_id), name, role, scope)


def list_users(conn: Connection) -> list[dict[str, Any]]:
    """Every account: name, role, disabled, units and live tokens."""
    return [dict(r._mapping) for r in conn.execute(load_sql("accounts.list.sql"))]


def disable_user(conn: Connection, name: str) -> None:
    """Disable an account: its sessions end, its tokens stop working."""
    row = find(conn, name)
    if row is None:
        raise _no_user(name)
    conn.execute(load_sql("accounts.disable.sql"), {"user_id": row.id})


def set_scope(conn: Connection, name: str, units: list[str] | tuple[str, ...]) -> User:
    """Replace an account's scope with the given units (each checked against admin_units)."""
    row = find(conn, name)
    if row is None:
        raise _no_user(name)
    scope = check_units(conn, units)
    conn.execute(load_sql("accounts.scope_clear.sql"), {"user_id": row.id})
    for unit in scope:
        conn.execute(load_sql("accounts.scope_add.sql"), {"user_id": row.id, "unit_id": unit})
    return User(int(row.id), row.name, row.role, scope)


# --- sign-in ----------------------------------------------------------------------------------


def wait_before_sign_in(conn: Connection, name: str, address: str) -> float:
    """Seconds a sign-in of this account from this address must still wait (0: none)."""
    return float(conn.execute(load_sql("accounts.throttle.sql"), {
        "name": name, "address": address, "account_free": ACCOUNT_FREE,
        "address_free": ADDRESS_FREE, "base": THROTTLE_BASE_S, "cap": THROTTLE_CAP_S,
    }).scalar_one())


def authenticate(conn: Connection, name: str, password: str, address: str) -> User:
    """The account a name and password sign in to; each attempt is recorded (caller commits).

    Too many recent failures of the account or the address answer 429 without checking the
    password, so that guessing goes no faster; a wrong name or password is one 401.
    """
    wait = wait_before_sign_in(conn, name, address)
    if wait > 0:
        seconds = max(1, round(wait + 0.5))
        raise TooManyRequestsError(
            f"Đăng nhập sai nhiều lần; hãy thử lại sau {seconds} giây.",
            f"Too many failed sign-ins; try again in {seconds} seconds.",
            headers={"Retry-After": str(seconds)})
    row = find(conn, name)
    ok = False
    try:
        ok = _HASHER.verify(row.password_hash if row is not None else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and row is not None and not row.disabled
    conn.execute(load_sql("accounts.attempt.sql"), {"name": name[:100], "address": address,
                                                     "ok": ok})
    if not ok:
        raise UnauthorizedError("Tên đăng nhập hoặc mật khẩu không đúng.",
                                "Wrong account name or password.")
    assert row is not None
    return _user(row)


# --- tokens -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    """A token as created: the secret is shown once and never stored."""

    id: int
    prefix: str
    secret: str
    expires_at: dt.datetime


def create_token(conn: Connection, name: str, days: int = TOKEN_DAYS) -> NewToken:
    """A personal access token for an enabled account, valid for `days` days."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidParameterError(f"Số ngày phải từ 1 đến {MAX_TOKEN_DAYS}.",
                                    f"Days must be between 1 and {MAX_TOKEN_DAYS}.")
    user = get_user(conn, name)
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = conn.execute(load_sql("accounts.token_insert.sql"), {
        "user_id": user.id, "prefix": prefix, "token_hash": digest(secret), "days": days}).one()
    return NewToken(int(row.id), prefix, secret, row.expires_at)


def revoke_token(conn: Connection, ref: str) -> int:
    """Revoke the token of an id or a prefix; how many were revoked (404 when none)."""
    ref = ref.strip()
    if ref.startswith(TOKEN_PREFIX):  # the whole token, or its visible start
        ref = ref[len(TOKEN_PREFIX):].split("_", 1)[0]
    token_id = int(ref) if ref.isdigit() and len(ref) < 10 else None
    rows = conn.execute(load_sql("accounts.token_revoke.sql"), {"id": token_id, "ref": ref}).all()
    if not rows:
        raise NotFoundError(f"Không có mã truy cập '{ref}'.", f"No token '{ref}'.")
    return len(rows)


def token_user(conn: Connection, secret: str) -> User:
    """The account of a bearer token; 401 saying why when the token does not work."""
    row = (conn.execute(load_sql("accounts.token_user.sql"), {"token_hash": digest(secret)})
           .one_or_none() if secret.startswith(TOKEN_PREFIX) else None)
    if row is None:
        raise _bad_token("Mã truy cập không hợp lệ.", "The access token is not valid.")
    if row.revoked_at is not None:
        raise _bad_token("Mã truy cập đã bị thu hồi.", "The access token has been revoked.")
    if row.expired:
        day = row.expires_at.date().isoformat()
        raise _bad_token(f"Mã truy cập đã hết hạn ngày {day}.",
                         f"The access token expired on {day}.")
    if row.disabled:
        raise _bad_token("Tài khoản của mã truy cập đã bị khóa.",
                         "The access token's account is disabled.")
    return User(int(row.user_id), row.name, row.role, tuple(row.units or ()))


def _bad_token(vi: str, en: str) -> UnauthorizedError:
    return UnauthorizedError(vi, en, headers={
        "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{en}"'})


# --- browser sessions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    """A session as opened: the cookie's value and the CSRF token, both shown once."""

    id: str
    csrf: str


def open_session(conn: Connection, user: User, address: str, hours: float) -> NewSession:
    """A browser session of an account for `hours` hours."""
    session = NewSession(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    conn.execute(load_sql("accounts.session_insert.sql"), {
        "id_hash": digest(session.id), "user_id": user.id, "csrf_hash": digest(session.csrf),
        "seconds": hours * 3600, "address": address})
    return session


def session_user(conn: Connection, session_id: str) -> tuple[User, str] | None:
    """The account of a live session and the digest of its CSRF token, or None."""
    row = conn.execute(load_sql("accounts.session_user.sql"),
                       {"id_hash": digest(session_id)}).one_or_none()
    if row is None:
        return None
    return _user(row), row.csrf_hash


def close_session(conn: Connection, session_id: str) -> None:
    """End a browser session."""
    conn.execute(load_sql("accounts.session_delete.sql"), {"id_hash": digest(session_id)})
