"""Accounts for tests: committed users with unique names, their tokens, browser sign-in."""

from __future__ import annotations

import re
import secrets

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from layers import accounts

PASSWORD = "mật-khẩu-đủ-dài-42"


def make_account(engine: Engine, role: str, units: tuple[str, ...] = (),
                 password: str = PASSWORD) -> tuple[str, dict[str, str]]:
    """A committed account of `role` (scope units written as given) and its bearer headers."""
    name = f"t-{role}-{secrets.token_hex(4)}"
    with engine.begin() as c:
        made = accounts.add_user(c, name, role, password)
        for unit in units:
            c.execute(text("INSERT INTO user_scopes (user_id, unit_id) VALUES (:u, :unit)"),
                      {"u": made.id, "unit": unit})
        token = accounts.create_token(c, name, 1)
    return name, {"Authorization": f"Bearer {token.secret}"}


def login_form(client: TestClient, path: str = "/login") -> str:
    """Open the sign-in page; the form's token (its cookie is now in the client)."""
    r = client.get(path)
    assert r.status_code == 200, r.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert found
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign a browser client in; the session's CSRF token."""
    token = login_form(client)
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": token,
                                    "next": "/map"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return client.cookies["qh_csrf"]
