"""``sohoa users``: people's accounts on the server (create, list, disable, enable, reset).

For the operator at the server: no sign-in, no agency limit, the same rules as the admin
routes otherwise (``sohoa.domain.accounts``), and each change is in the audit log. One-time
passwords go to stdout alone (scripts can capture them), messages to stderr.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from sohoa.cli.common import load_settings, open_session
from sohoa.core.vocab import USER_ROLES, UserState

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sohoa.core.models import User


@click.group()
def users() -> None:
    """Manage people's accounts (web sign-in)."""


@users.command("create")
@click.option("--username", required=True, help="What the person types to sign in (case does not matter).")
@click.option("--name", "display_name", required=True, help="Full name shown in the web app.")
@click.option("--role", required=True, type=click.Choice(USER_ROLES))
@click.option("--agency", default=None, help="Agency code the person works for (limits what they see).")
def create(username: str, display_name: str, role: str, agency: str | None) -> None:
    """Create an account and print its one-time password."""
    from sohoa.domain.accounts import create_user

    with open_session(load_settings()) as session:
        user, password = create_user(session, username=username, display_name=display_name, role=role,
                                     agency=agency)
        _audit(session, "user.create", user, role=role, agency=user.agency)
        name = user.username
    click.echo(f"created user {name!r} ({role}); one-time password, shown only now "
               "(it must be changed at the first sign-in):", err=True)
    click.echo(password)


@users.command("list")
def list_users() -> None:
    """All accounts with role, state and last sign-in (never a password)."""
    from sohoa.domain.accounts import list_users as all_users

    with open_session(load_settings()) as session:
        rows = all_users(session)
        click.echo(f"{'ID':>4}  {'USERNAME':<20} {'ROLE':<8} {'STATE':<9} {'AGENCY':<12} {'CREATED':<10} "
                   f"{'LAST SIGN-IN':<16} NAME")
        for user in rows:
            state = UserState.DISABLED if user.disabled else UserState.ACTIVE
            flag = " (must change password)" if user.must_change_password and not user.disabled else ""
            click.echo(f"{user.id:>4}  {user.username:<20} {user.role:<8} {state:<9} {user.agency or '-':<12} "
                       f"{_day(user.created_at):<10} {_minute(user.last_sign_in_at):<16} {user.display_name}{flag}")
    if not rows:
        click.echo("(no users; `sohoa run` creates the first admin)", err=True)


@users.command("disable")
@click.argument("username")
def disable(username: str) -> None:
    """Disable an account: its sessions end at once, it cannot sign in."""
    _set_disabled(username, True)


@users.command("enable")
@click.argument("username")
def enable(username: str) -> None:
    """Enable a disabled account again."""
    _set_disabled(username, False)


def _set_disabled(username: str, disabled: bool) -> None:
    from sohoa.domain.accounts import find_user, update_user

    with open_session(load_settings()) as session:
        user = find_user(session, username=username)
        changed = update_user(session, user, {"disabled": disabled})
        _audit(session, "user.update", user, changed=changed)
        name = user.username
    click.echo(f"{'disabled' if disabled else 'enabled'} user {name!r}" + ("" if changed else " (it already was)"))


@users.command("reset-password")
@click.argument("username")
def reset(username: str) -> None:
    """Print a new one-time password (ends the user's sessions, lifts a lock)."""
    from sohoa.domain.accounts import find_user, reset_password

    with open_session(load_settings()) as session:
        user = find_user(session, username=username)
        password = reset_password(session, user)
        _audit(session, "user.password_reset", user)
        name = user.username
    click.echo(f"new one-time password of {name!r}, shown only now (it must be changed at the next sign-in):",
               err=True)
    click.echo(password)


def _audit(session: Session, action: str, user: User, **detail: object) -> None:
    from sohoa.domain import audit

    audit.record(session, None, action, target_type="user", target_id=str(user.id),
                 detail={"username": user.username, "via": "cli", **detail})


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def _minute(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
