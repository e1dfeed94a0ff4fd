"""`flask import-history FILE... [--dry-run] [--village 村]`: the command around run.py."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from server.extensions import db


@click.command("import-history")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--user", "username", required=True,
              help="The township staff or admin account the import is made and audited as.")
@click.option("--dry-run", is_flag=True, help="Check every row, store nothing, list refusals.")
@click.option("--village", "villages", multiple=True,
              help="Only this village's rows (name or code; repeat for several).")
@click.option("--every", default=500, show_default=True, help="Print progress every N rows.")
@with_appcontext
def import_history(files: tuple[Path, ...], username: str, dry_run: bool,
                   villages: tuple[str, ...], every: int) -> None:
    """Bring a township's history in from the national system's CSV or xlsx export."""
    from core.models import ROLE_ADMIN, ROLE_STAFF, User
    from server.history import rows, run, sheets

    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or user.role not in (ROLE_STAFF, ROLE_ADMIN) or not user.active:
        raise click.ClickException("须用在岗的乡镇卫生院工作人员或管理员账号导入")
    try:
        found = sheets.read(list(files))
        report = run.run(
            db.session, user, found, dry_run=dry_run, villages=list(villages),
            files=list(files), every=max(1, every),
            progress=lambda done, total: click.echo(f"已处理 {done}/{total} 行", err=True))
    except (sheets.SheetError, rows.RowError) as e:
        raise click.ClickException(str(getattr(e, "reason", e))) from None
    for refusal in report.refused:
        click.echo(str(refusal))
    s = report.summary()
    verb = "将导入" if dry_run else "已导入"
    click.echo(f"{'试运行（未保存）：' if dry_run else ''}{verb} {_counts(s['stored'])}；"
               f"已存在跳过 {_counts(s['skipped'])}；其他村 {s['other_village']} 行；"
               f"拒绝 {s['refused']} 行")
    if report.refused:
        raise SystemExit(1)


def _counts(by_kind: dict) -> str:
    return "、".join(f"{k} {n}" for k, n in by_kind.items()) or "0"
