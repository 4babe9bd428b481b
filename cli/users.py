"""`quyhoach user …` and `quyhoach token …`: accounts, scopes and personal access tokens.

The first admin is made here (`quyhoach user add NAME --role admin`); there is no default
account and no default password. Commands that write data (`quyhoach import`,
`quyhoach status set`) name the account they act for with `--user` or `QUYHOACH_USER`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click
from sqlalchemy import Connection

from core.errors import PlanningError
from core.settings import get_settings
from gis.db import make_engine
from layers import accounts
from layers.access import require_writer
from layers.accounts import User

LANG = click.option("--lang", type=click.Choice(["vi", "en"]), default="vi",
                    help="Language of messages.")
USER_OPTION = click.option(
    "--user", "user_name", envvar="QUYHOACH_USER", default=None, metavar="NAME",
    help="The account this command acts for (or QUYHOACH_USER); recorded in the audit log.")
NO_USER = ("cần cho biết tài khoản thực hiện: --user TÊN hoặc biến môi trường QUYHOACH_USER "
           "(tạo tài khoản bằng quyhoach user add).",
           "name the account acting: --user NAME or the QUYHOACH_USER environment variable "
           "(create one with quyhoach user add).")


def fail(lang: str, vi: str, en: str, code: int = 2) -> NoReturn:
    """Print an error in the chosen language (Vietnamese also gives English) and exit."""
    if lang != "en":
        click.echo(f"Lỗi: {vi}", err=True)
    click.echo(f"Error: {en}", err=True)
    sys.exit(code)


@contextmanager
def transaction(lang: str) -> Iterator[Connection]:
    """A committed transaction on the database; a PlanningError ends the command with its message."""
    engine = make_engine(get_settings(), admin=True)
    try:
        with engine.begin() as conn:
            yield conn
    except PlanningError as exc:
        fail(lang, exc.message, exc.message_en)
    finally:
        engine.dispose()


def acting_user(conn: Connection, name: str | None, lang: str) -> User:
    """The enabled editor or admin a writing command acts for; the command stops otherwise."""
    if not (name or "").strip():
        fail(lang, *NO_USER)
    assert name is not None
    return require_writer(accounts.get_user(conn, name.strip()))


def resolve_acting_user(name: str | None, lang: str) -> User:
    """The account a writing command acts for, looked up on its own connection."""
    with transaction(lang) as conn:
        return acting_user(conn, name, lang)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Mật khẩu / Password", hide_input=True,
                        confirmation_prompt="Nhập lại / Repeat")


@click.group("user")
def user() -> None:
    """Accounts: roles (viewer, editor, admin) and the units where an editor may write."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES))
@click.option("--unit", "units", multiple=True, metavar="ID",
              help="An administrative unit (admin_units id) of the editor's scope. Repeatable.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
@LANG
def user_add(name: str, role: str, units: tuple[str, ...], password_stdin: bool,
             lang: str) -> None:
    """Create an account (the password is asked twice unless --password-stdin)."""
    password = _password(password_stdin)
    with transaction(lang) as conn:
        made = accounts.add_user(conn, name, role, password, units)
    scope = f" [{', '.join(made.units)}]" if made.units else ""
    click.echo(f"{made.name} ({made.role}){scope}")


@user.command("list")
def user_list() -> None:
    """Every account: name, role, state, units, live tokens."""
    with transaction("en") as conn:
        rows = accounts.list_users(conn)
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        units = ",".join(r["units"]) or "-"
        click.echo(f"{r['name']}\t{r['role']}\t{state}\t{units}\ttokens={r['tokens']}")


@user.command("disable")
@click.argument("name")
@LANG
def user_disable(name: str, lang: str) -> None:
    """Disable an account: its sessions end and its tokens stop working."""
    with transaction(lang) as conn:
        accounts.disable_user(conn, name)
    click.echo(f"{name}: disabled")


@user.command("scope")
@click.argument("name")
@click.option("--unit", "units", multiple=True, required=True, metavar="ID",
              help="An administrative unit (admin_units id). Repeatable; replaces the scope.")
@LANG
def user_scope(name: str, units: tuple[str, ...], lang: str) -> None:
    """Set the administrative units where an editor may write (replacing the previous ones)."""
    with transaction(lang) as conn:
        made = accounts.set_scope(conn, name, units)
    click.echo(f"{made.name}: {', '.join(made.units)}")


@click.group("token")
def token() -> None:
    """Personal access tokens for scripts and desktop GIS (Authorization: Bearer …)."""


@token.command("create")
@click.argument("name")
@click.option("--days", default=accounts.TOKEN_DAYS, show_default=True, type=int,
              help="Days until the token expires.")
@LANG
def token_create(name: str, days: int, lang: str) -> None:
    """Create a token for an account; the token alone is printed on the last line, once."""
    with transaction(lang) as conn:
        made = accounts.create_token(conn, name, days)
    click.echo(f"# token {made.id} ({made.prefix}) of {name}, expires {made.expires_at:%Y-%m-%d}")
    click.echo(made.secret)


@token.command("revoke")
@click.argument("ref", metavar="ID|PREFIX")
@LANG
def token_revoke(ref: str, lang: str) -> None:
    """Revoke a token by its id or its prefix."""
    with transaction(lang) as conn:
        accounts.revoke_token(conn, ref)
    click.echo(f"{ref}: revoked")
