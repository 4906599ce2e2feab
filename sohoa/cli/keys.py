"""``sohoa keys``: create, list and revoke API keys (stored hashed; shown once at creation)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click

from sohoa.cli.common import load_settings, open_session
from sohoa.core.vocab import ROLES, KeyState

if TYPE_CHECKING:
    from sohoa.core.models import ApiKey


@click.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option("--agency", default=None, help="Agency the key acts for (limits what it sees).")
@click.option("--expires-days", default=None, type=click.IntRange(min=1),
              help="Key stops working after this many days.")
def create(role: str, name: str, agency: str | None, expires_days: int | None) -> None:
    """Create a key and print it once."""
    from sohoa.core.clock import utcnow
    from sohoa.domain.keys import create_key

    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    with open_session(load_settings()) as session:
        key, plaintext = create_key(session, role=role, name=name, agency=agency,
                                    expires_at=expires_at)
        key_id = key.id
    click.echo(f"created key {key_id} ({role}, {name!r}"
               + (f", expires {expires_at:%Y-%m-%d}" if expires_at else "") + ")", err=True)
    click.echo("the key is shown only now; it is stored hashed:", err=True)
    click.echo(plaintext)


@keys.command("list")
def list_keys() -> None:
    """All keys with their state (never the key itself)."""
    from sqlalchemy import select

    from sohoa.core.clock import utcnow
    from sohoa.core.models import ApiKey

    with open_session(load_settings()) as session:
        rows = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
        now = utcnow()
        click.echo(f"{'ID':>4}  {'ROLE':<8} {'STATE':<8} {'PREFIX':<9} {'AGENCY':<12} "
                   f"{'CREATED':<10} {'EXPIRES':<10} {'LAST USED':<16} NAME")
        for key in rows:
            click.echo(f"{key.id:>4}  {key.role:<8} {_state(key, now):<8} {key.prefix:<9} "
                       f"{key.agency or '-':<12} {_day(key.created_at):<10} {_day(key.expires_at):<10} "
                       f"{_minute(key.last_used_at):<16} {key.name}")
    if not rows:
        click.echo("(no keys; `sohoa run` creates the first admin key)", err=True)


@keys.command("revoke")
@click.argument("key_id", type=int)
def revoke(key_id: int) -> None:
    """Revoke a key by its ID (see `sohoa keys list`); it stops working at once."""
    from sohoa.domain.keys import revoke_key

    with open_session(load_settings()) as session:
        key = revoke_key(session, key_id)
        name, role = key.name, key.role
    click.echo(f"revoked key {key_id} ({role}, {name!r})")


def _state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return KeyState.REVOKED
    if key.expires_at is not None and key.expires_at <= now:
        return KeyState.EXPIRED
    return KeyState.ACTIVE


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"


def _minute(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
