"""An instance started the way `scripts/start.sh` starts it: its own instance directory, the
key made by `python -m server.secret_key`, migrations, then gunicorn with the start
command's flags, on a free loopback port. Nothing of the test configuration is used.

The accounts are made with the default (scrypt) hashing through the app itself, in a
township that is not a demo one.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.procs import answering, free_port, stop, wait_until_ready

ROOT = Path(__file__).resolve().parents[3]
VENV = Path(sys.executable).parent
PASSWORD = "village-doctor-42"

_MAKE_ACCOUNTS = f"""
from server import create_app
from server.services.passwords import hash_password
from server.extensions import db
from core.models import County, Township, User, Village, ROLE_ADMIN, ROLE_DOCTOR, ROLE_STAFF
app = create_app()
with app.app_context():
    county = County(code="511921", name="测试县")
    town = Township(county=county, code="101", name="青峰镇", health_center_name="青峰镇卫生院")
    v1 = Village(township=town, code="001", name="龙泉村")
    db.session.add_all([county, town, v1]); db.session.flush()
    for name, role, villages in [("doctor01", ROLE_DOCTOR, [v1]), ("staff01", ROLE_STAFF, []),
                                 ("admin", ROLE_ADMIN, [])]:
        db.session.add(User(username=name, full_name=name, role=role, township_id=town.id,
                            villages=villages, password_hash=hash_password({PASSWORD!r})))
    db.session.commit()
"""


def start_env(instance_dir: Path) -> dict[str, str]:
    """The environment start.sh gives its processes, before the key is added."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "CUNYI_ENV")}
    env.update(CUNYI_INSTANCE_DIR=str(instance_dir), FLASK_APP="server", PYTHONPATH=str(ROOT))
    return env


class StartedInstance:
    """A running gunicorn with the start command's settings; `url`, `env`, `stop()`."""

    def __init__(self, instance_dir: Path):
        self.instance_dir = instance_dir
        env = start_env(instance_dir)
        key = subprocess.run([str(VENV / "python"), "-m", "server.secret_key"], env=env,
                             cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
        env["SECRET_KEY"] = key
        self.env = env
        subprocess.run([str(VENV / "flask"), "db", "upgrade"], env=env, cwd=ROOT, check=True,
                       capture_output=True)
        subprocess.run([str(VENV / "python"), "-c", _MAKE_ACCOUNTS], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(instance_dir / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [str(VENV / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "server:create_app()"], env=env, cwd=ROOT, stdout=self.log,
            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_ready(self.proc, answering(port), what="the instance",
                             log=instance_dir / "server.log")
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop gunicorn (its whole process group) and close the log."""
        stop(self.proc, group=True, grace=20)
        self.log.close()
