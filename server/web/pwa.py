"""The village doctor's phone app (pwa/), served under /app/ by this server.

Only an allow-list of files leaves this blueprint: the app's own files and the few files
of its npm packages it imports (no CDN at run time; no third-party source in the repo).
The service worker is rendered with the list of files to precache and a version that is a
hash of their content, so any change to any file makes a new service worker, a new cache
and an atomic roll-out (docs/adr/0011-service-worker-updates.md).

Every file goes gzip-compressed to a client that accepts it, with an ETag per encoding
(`compressed.py`); the service worker is told how many bytes a whole install carries, so
the first login can show its progress (docs/adr/0065-first-install-on-2g.md).
"""
from __future__ import annotations

import hashlib
import json
import mimetypes
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, redirect, request

from server.security import subresource
from server.web.compressed import Encoded, FileCache, encode_bytes

bp = Blueprint("pwa", __name__, url_prefix="/app")

PWA_DIR = Path(__file__).resolve().parent.parent.parent / "pwa"
MODULES = PWA_DIR / "node_modules"
# URL prefix under /app/vendor/ → folder in node_modules that may be served from it.
VENDOR = {
    "idb": MODULES / "idb" / "build",
    "jsqr": MODULES / "jsqr" / "dist",  # QR decoding where BarcodeDetector is missing
}
# Single files: pinyin-pro's own one-file build (it sets globalThis.pinyinPro), one request
# and 141 KB gzipped instead of its 25 ES modules' 173 KB (docs/adr/0065).
VENDOR_FILES = {"vendor/pinyin-pro/pinyin-pro.js": MODULES / "pinyin-pro" / "dist" / "index.js"}
VENDOR_SUFFIXES = (".js", ".mjs")
APP_FOLDERS = ("css", "js", "icons")
APP_FILES = ("index.html", "manifest.webmanifest")
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".webmanifest":
         "application/manifest+json", ".css": "text/css", ".svg": "image/svg+xml",
         ".png": "image/png", ".html": "text/html"}

_cache: dict = {}
_files = FileCache()
# Files only a page loads, never opened as a document or run as a worker (sw.js is served
# by its own view; SVG can be a document): they go without the document-only headers.
SUBRESOURCE_SUFFIXES = (".js", ".mjs", ".css", ".png", ".webmanifest")
# Vendor modules the app imports at start (the rest load on demand: search, QR scanning).
PRELOAD_VENDOR = ("vendor/idb/index.js",)


def app_files() -> dict[str, Path]:
    """Every servable file: its URL path under /app/ → the file on disk."""
    out = {name: PWA_DIR / name for name in APP_FILES if (PWA_DIR / name).is_file()}
    for folder in APP_FOLDERS:
        for path in sorted((PWA_DIR / folder).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                out[path.relative_to(PWA_DIR).as_posix()] = path
    for prefix, root in VENDOR.items():
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in VENDOR_SUFFIXES and \
                    not path.name.endswith(".cjs") and "umd" not in path.name:
                out[f"vendor/{prefix}/{path.relative_to(root).as_posix()}"] = path
    out.update({name: path for name, path in VENDOR_FILES.items() if path.is_file()})
    return out


def manifest() -> tuple[str, list[str]]:
    """(version, files to precache), recomputed only when a file changed."""
    files = app_files()
    # PWA_VERSION_SALT lets a deployment (or a test) force a new version with the same files.
    salt = current_app.config.get("PWA_VERSION_SALT", "")
    stamp = (salt, *((k, p.stat().st_mtime_ns, p.stat().st_size) for k, p in files.items()))
    if _cache.get("stamp") != stamp:
        digest = hashlib.sha256(salt.encode())
        for key, path in files.items():
            digest.update(key.encode() + b"\0" + path.read_bytes() + b"\0")
        _cache.update(stamp=stamp, version=digest.hexdigest()[:16],
                      files=["./"] + [k for k in files if k != "index.html"])
    return _cache["version"], _cache["files"]


def _headers(response: Response, version: str) -> Response:
    # Revalidate every time: offline copies come from the service worker's cache, and a
    # stale HTTP cache must never feed an install a file of another version.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-App-Version"] = version
    return response


@bp.get("")
def root():
    """/app → /app/ so relative URLs and the service worker's scope line up."""
    return redirect("/app/", code=301)


@bp.get("/")
def index():
    """The app shell, naming every module the app loads at start (modulepreload), so a
    phone asks for them all at once instead of one level of imports per round trip."""
    version, _ = manifest()
    return _headers(_send(_shell(), "text/html"), version)


def _shell() -> Encoded:
    """index.html with a modulepreload link per start module, made once per version."""
    version, files = manifest()
    if _cache.get("index_version") != version:
        preload = "".join(f'  <link rel="modulepreload" href="{name}">\n' for name in files
                          if name.startswith("js/") or name in PRELOAD_VENDOR)
        html = (PWA_DIR / "index.html").read_text(encoding="utf-8")
        html = html.replace('  <script type="module"', preload + '  <script type="module"', 1)
        _cache.update(index_version=version, index=encode_bytes(html.encode(), ".html"))
    return _cache["index"]


@bp.get("/sw.js")
def service_worker():
    """The service worker with this version's precache list and its size filled in."""
    version, files = manifest()
    source = (PWA_DIR / "sw.js").read_text(encoding="utf-8")
    key = ("sw", version, hashlib.sha256(source.encode()).hexdigest())
    if _cache.get("sw_key") != key:
        paths = app_files()
        # What the install will carry: each file's size as a gzip-capable phone gets it.
        total = sum((_shell() if f == "./" else _files.get(paths[f])).wire_size for f in files)
        source = source.replace("'__APP_VERSION__'", json.dumps(version))
        source = source.replace("['__APP_FILES__']", json.dumps(files))
        source = source.replace("'__APP_BYTES__'", str(total))
        _cache.update(sw_key=key, sw=encode_bytes(source.encode(), ".js"))
    response = _send(_cache["sw"], "text/javascript")
    response.headers["Service-Worker-Allowed"] = "/app/"
    return _headers(response, version)


@bp.get("/version.json")
def version_info():
    """The current app version (the app shows it; tests compare it)."""
    version, files = manifest()
    return _headers(Response(json.dumps({"version": version, "files": len(files)}),
                             mimetype="application/json"), version)


@bp.get("/<path:name>")
def asset(name: str):
    """One file of the allow-list, or 404."""
    return _serve(name)


def _serve(name: str) -> Response:
    path = app_files().get(name)
    if path is None:
        abort(404)
    version, _ = manifest()
    mimetype = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    response = _headers(_send(_files.get(path), mimetype), version)
    return subresource(response) if path.suffix in SUBRESOURCE_SUFFIXES else response


def _send(encoded: Encoded, mimetype: str | None) -> Response:
    """The encoding the client accepts, or 304 when its copy (by ETag) is current."""
    body, etag, encoding = encoded.pick(request.headers.get("Accept-Encoding", ""))
    response = Response(body, mimetype=mimetype or "application/octet-stream")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.set_etag(etag)
    return response.make_conditional(request)
