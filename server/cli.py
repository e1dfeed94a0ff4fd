"""Command-line tasks: `flask --app server <command>`."""
from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from server.cli_setup import setup_token, setup_township
from server.extensions import db
from server.history.command import import_history


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_user)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(import_history)
    app.cli.add_command(setup_township)
    app.cli.add_command(setup_token)


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has users.")
def seed_demo(if_empty: bool) -> None:
    """Load the deterministic demo township (12+ villages, ~6,000 residents, a year of records)."""
    from core.models import User
    from server.demo.generate import generate_demo

    if db.session.scalar(db.select(db.func.count(User.id))):
        if if_empty:
            click.echo("数据库已有数据，跳过演示数据。 (database not empty; demo not loaded)")
            return
        raise click.ClickException("database is not empty; the demo loads into an empty one")
    started = time.perf_counter()
    summary = generate_demo(db.session, seed=current_app.config["DEMO_SEED"])
    from core.changelog import backfill

    published = backfill(db.session)  # bulk-loaded: put it in the sync log for devices
    db.session.commit()
    click.echo(f"演示乡镇已生成 (demo township loaded) in {time.perf_counter() - started:.1f} s: "
               f"{summary['residents']} residents, {summary['households']} households, "
               f"{published} changes published for sync")
    click.echo("演示账号 (demo logins):")
    for login in summary["logins"]:
        click.echo(f"  {login['username']:<10} {login['password']:<10} {login['role']:<16} "
                   f"{login['full_name']}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.argument("role")
@click.option("--full-name", required=True)
@click.option("--township-id", type=int, required=True)
@click.option("--village-id", "village_ids", type=int, multiple=True)
@click.password_option()
def create_user(username: str, role: str, full_name: str, township_id: int,
                village_ids: tuple[int, ...], password: str) -> None:
    """Create an account (village_doctor, township_staff or township_admin)."""
    from core.models import ROLES, User, Village
    from server.services.passwords import hash_password

    if role not in ROLES:
        raise click.BadParameter(f"role must be one of {', '.join(ROLES)}")
    from server.services.accounts import password_problem

    user = User(username=username, role=role, full_name=full_name, township_id=township_id,
                password_hash="")
    problem = password_problem(user, password)
    if problem:  # a real account never gets the demo's or another guessable password
        raise click.BadParameter(problem.partition("|")[2], param_hint="password")
    user.password_hash = hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    user.villages = [db.session.get(Village, v) for v in village_ids]
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {username}")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path: str) -> None:
    """Write a consistent backup of the whole database to PATH (.jsonl.gz)."""
    from pathlib import Path

    from server import backup

    counts = backup.backup(db.engine, Path(path))
    click.echo(f"backup written to {path}: {sum(counts.values())} rows in {len(counts)} tables")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def restore_command(path: str) -> None:
    """Restore PATH into this (empty, migrated) database."""
    from pathlib import Path

    from server import backup

    try:
        counts = backup.restore(db.engine, Path(path))
    except ValueError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"restored {sum(counts.values())} rows into {len(counts)} tables")
