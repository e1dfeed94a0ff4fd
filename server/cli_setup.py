"""`flask setup-township FILE.xlsx` and `flask setup-token`: a real township without the
demo (docs/township-setup.md, docs/adr/0063-township-setup.md)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from server.extensions import db


@click.command("setup-township")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check the file and list what would change; store nothing.")
def setup_township(path: Path, dry_run: bool) -> None:
    """Set up (or bring up to date) a township from a spreadsheet: its villages, groups,
    clinics, accounts, villages per doctor and 包村 staff, targets and population."""
    from server.services.setup_sheet import apply_workbook

    try:
        report = apply_workbook(db.session, path, current_app.config["PASSWORD_HASH_METHOD"])
    except Exception:
        db.session.rollback()
        raise
    for line in report.changes:
        click.echo(line)
    if report.errors:
        db.session.rollback()
        for line in report.errors:
            click.echo(f"错误 {line}", err=True)
        raise click.ClickException(f"{len(report.errors)} 处错误,未保存任何内容 "
                                   "(errors: nothing stored)")
    if dry_run:
        db.session.rollback()
        click.echo(f"试运行: 将有 {len(report.changes)} 处变化,未保存 (dry run: nothing stored)")
        return
    db.session.commit()
    if not report.changes:
        click.echo("无变化 (nothing to change)")
        return
    click.echo(f"已保存 {len(report.changes)} 处变化 (saved)")
    if report.passwords:
        click.echo("新账号的一次性密码(仅显示这一次,首次登录须改密码) / one-time passwords:")
        for username, full_name, one_time in report.passwords:
            click.echo(f"  {username:<16} {one_time:<12} {full_name}")


@click.command("setup-token")
@with_appcontext
def setup_token() -> None:
    """Print the token that opens the first-run page while the instance has no township."""
    from server.services import setup

    if setup.township_count(db.session):  # exit 1: scripts/start.sh then prints nothing
        raise click.ClickException("已有乡镇,首次设置页已关闭 (a township exists; the "
                                   "first-run page is closed)")
    click.echo(setup.first_run_token(current_app.config["SECRET_KEY"]))
