"""A phone's first install on 2G: from opening /app/ to "ready to work offline" (issue 20).

    .venv/bin/python -m bench.phone_install --anchors /work/shared/anchors
    .venv/bin/python -m bench.phone_install --anchors DIR --runs 3 --root /tmp/other-checkout

Not a test (no timing assertions). Each run, on 127.0.0.1 only:

1. a fresh SQLite database with the demo township (`flask db upgrade`, `flask seed-demo`);
2. gunicorn started as scripts/start.sh starts it (gunicorn.conf.py, two workers, the
   access log), from `--root` (this checkout by default: another one measures a before);
3. the anchors' slowlink.py in front at `--rtt-ms` 600 and `--kbps` 256;
4. the machine's Chromium (the tests' flags) at 360x740 with a new profile opens /app/
   through the link, logs the demo doctor in, sets the PIN and waits until the app says
   it is ready to work offline (`#offline-ready`; an app without that screen counts as
   ready once its home screen shows and its service worker is active);
5. then the link is cut and the app opened again: does it open offline to the unlock screen?

Figures per run: seconds to the login screen and to ready; bytes down and up on the link and
connections (slowlink's /stats); the response bodies the access log counts for /app/ (the
app's files) and /api/ (login and data); records pulled. Then the median of each over the runs.
Every process started here is stopped by its pid.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench import anchors as anchor_dir
from bench.procs import Processes, answering, free_port, stop, wait_until_ready
from bench.slow_clients import START_FLAGS, VENV_BIN, make_database
from tests.pwa.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
VIEWPORT = {"width": 360, "height": 740}
DOCTOR, PASSWORD, PIN = "doctor01", "demo1234", "246810"
LOG_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+)" (?P<status>\d{3}) (?P<bytes>\d+|-)')
# Ready: the app says so, or (an app before issue 20) home is shown and a worker is active.
READY = """async () => {
  if (document.querySelector('#offline-ready')) return 'ready';
  if (document.body.dataset.ready !== 'home') return null;
  const reg = await navigator.serviceWorker.getRegistration();
  return reg && reg.active ? 'home-and-worker' : null;
}"""

# The app's own store module (the same instance the app runs): what the phone holds.
COUNT = """() => import(location.origin + '/app/js/store.js').then((s) =>
  s.data.resident.size + s.data.household.size + s.data.record.size)"""

# When the files and the data were stored (ms since the page opened), where the app marks them.
MARKS = """() => Object.fromEntries(['first-run-files', 'first-run-data'].flatMap((n) =>
  performance.getEntriesByName(n).map((e) => [n.slice(10), e.startTime])))"""


def access_bytes(log: Path) -> dict:
    """Response bodies and request counts in the access log, for /app/ and for /api/."""
    out = {"app_bytes": 0, "app_requests": 0, "api_bytes": 0, "api_requests": 0}
    for line in log.read_text("utf-8", "replace").splitlines():
        m = LOG_LINE.search(line)
        if not m:
            continue
        part = "app" if m["path"].startswith("/app") else "api" if m["path"].startswith("/api") else None
        if part:
            out[f"{part}_requests"] += 1
            out[f"{part}_bytes"] += 0 if m["bytes"] == "-" else int(m["bytes"])
    return out


def poll(page, script: str, seconds: float) -> str:
    """Evaluate `script` until it returns something true; that value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = page.evaluate(script)
        except Exception:  # noqa: BLE001 - the page may be navigating
            value = None
        if value:
            return value
        page.wait_for_timeout(100)
    raise RuntimeError(f"not ready within {seconds:.0f} s")


def one_run(args, slowlink: Path, workdir: Path) -> dict:
    """A fresh server, link and phone; the figures of one first install."""
    from playwright.sync_api import sync_playwright

    env = make_database(workdir)
    procs = Processes(workdir)
    port, link, stats_port = free_port(), free_port(), free_port()
    try:
        argv = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *START_FLAGS,
                "server:create_app()"]
        server = procs.start("gunicorn", argv, port, cwd=args.root, env=env)
        wait_until_ready(server, answering(port), what="gunicorn", log=workdir / "gunicorn.log")
        link_proc = procs.start("slowlink", anchor_dir.slowlink_argv(
            slowlink, "--listen", str(link), "--to", str(port), "--rtt-ms", str(args.rtt_ms),
            "--kbps", str(args.kbps), "--stats", str(stats_port)), stats_port)
        log_start = (workdir / "gunicorn.log").stat().st_size
        base = f"http://127.0.0.1:{link}"
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                str(workdir / "profile"), executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS, viewport=VIEWPORT, is_mobile=True, has_touch=True,
                locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow")
            ctx.set_default_timeout(args.timeout * 1000)
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            started = time.monotonic()
            page.goto(base + "/app/", wait_until="commit")
            page.wait_for_selector("#username")
            login_s = time.monotonic() - started
            page.fill("#username", DOCTOR)
            page.fill("#password", PASSWORD)
            page.click("#login")
            page.fill("#pin1", PIN)
            page.fill("#pin2", PIN)
            page.click("#set-pin")
            how = poll(page, READY, args.timeout)
            ready_s = time.monotonic() - started
            records = page.evaluate(COUNT)
            marks = page.evaluate(MARKS)
            with urllib.request.urlopen(f"http://127.0.0.1:{stats_port}/stats") as r:
                wire = json.load(r)
            # Offline for real: the link goes, so not even the service worker reaches the server.
            stop(link_proc)
            ctx.set_offline(True)
            try:
                page.goto(base + "/app/")
                page.wait_for_selector("#unlock-pin", timeout=10000)
                reopened = True
            except Exception:  # noqa: BLE001 - the browser's own offline page
                reopened = False
            ctx.close()
        log_text = (workdir / "gunicorn.log").read_text("utf-8", "replace")[log_start:]
        (workdir / "run.log").write_text(log_text)
        return {"to_login_s": round(login_s, 1), "to_ready_s": round(ready_s, 1), "ready_by": how,
                **{f"{k}_s": round(v / 1000, 1) for k, v in marks.items()},
                "down_bytes": wire["down_bytes"], "up_bytes": wire["up_bytes"],
                "connections": wire["connections"], **access_bytes(workdir / "run.log"),
                "entities": records, "reopens_offline": reopened}
    finally:
        procs.stop_all()


def main() -> None:
    """Run the first install `--runs` times; print each run and the medians as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    anchor_dir.add_option(ap)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rtt-ms", type=float, default=600.0)
    ap.add_argument("--kbps", type=float, default=256.0)
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds a run may take to be ready")
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout whose server runs")
    ap.add_argument("--keep", action="store_true", help="keep each run's directory (its logs)")
    args = ap.parse_args()
    home = anchor_dir.find_or_exit(ap, args.anchors, "slowlink.py")
    runs = []
    for i in range(args.runs):
        workdir = Path(tempfile.mkdtemp(prefix="cunyi-install-"))
        try:
            runs.append(one_run(args, home, workdir))
        finally:
            if args.keep:
                print(f"run {i + 1} kept in {workdir}", flush=True)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        print(f"run {i + 1}:", json.dumps(runs[-1]), flush=True)
    numeric = [k for k, v in runs[0].items() if isinstance(v, int | float) and not isinstance(v, bool)]
    medians = {k: statistics.median(r[k] for r in runs) for k in numeric}
    medians["reopens_offline"] = all(r["reopens_offline"] for r in runs)
    print("median:", json.dumps(medians), flush=True)


if __name__ == "__main__":
    sys.exit(main())
