"""The Alembic migrations and the models describe the same schema, on either database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.models import Base
from server.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], diff


def test_upgrade_reached_head(app):
    with app.app_context(), db.engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(app.extensions["migrate"].directory)
    assert version == script.get_current_head()
