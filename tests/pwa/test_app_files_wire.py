"""The phone app's files as they cross a 2G link (issue 20, item 2): gzip to a client that
accepts it, one ETag per encoding so a revalidation costs no body, and the whole install
(every file the service worker precaches) well under 350 KB on the wire."""
from __future__ import annotations

import gzip
import json
import re

from server.web.compressed import accepts_gzip
from server.web.pwa import PWA_DIR

GZIP = {"Accept-Encoding": "gzip, deflate"}
BUDGET = 350 * 1024  # the goal for the app's own files, headers included


def precached(client) -> list[str]:
    body = client.get("/app/sw.js").get_data(as_text=True)
    return json.loads(re.search(r"const FILES = (\[.*?\]);", body).group(1))


def test_a_module_goes_gzipped_to_a_client_that_accepts_it(client):
    """Same bytes once inflated; Vary says the answer depends on Accept-Encoding."""
    raw = (PWA_DIR / "js" / "i18n.js").read_bytes()
    packed = client.get("/app/js/i18n.js", headers=GZIP)
    assert packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == raw
    assert len(packed.get_data()) < len(raw) / 2
    assert packed.headers["X-App-Version"]  # the service worker's version check still works

    plain = client.get("/app/js/i18n.js")
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == raw
    assert plain.headers["ETag"] != packed.headers["ETag"]  # two encodings, two strong tags


def test_a_current_copy_is_revalidated_without_its_body(client):
    """If-None-Match with the gzip copy's ETag: 304, nothing but headers."""
    first = client.get("/app/js/forms.js", headers=GZIP)
    again = client.get("/app/js/forms.js", headers={**GZIP, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""
    # Another encoding's tag does not match: the client gets the body it asked for.
    other = client.get("/app/js/forms.js", headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200 and "Content-Encoding" not in other.headers


def test_the_shell_and_the_worker_go_gzipped_too(client):
    """index.html and sw.js, the two files every open revalidates."""
    for path in ("/app/", "/app/sw.js"):
        response = client.get(path, headers=GZIP)
        assert response.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(response.get_data())
    assert client.get("/app/sw.js").headers["Service-Worker-Allowed"] == "/app/"


def test_a_whole_install_fits_the_2g_budget_and_the_worker_knows_its_size(client):
    """Every precached file as a gzip client receives it, plus ~400 bytes of headers each,
    stays under 350 KB; sw.js is told that total, for the first login's progress."""
    files = precached(client)
    bodies = 0
    for name in files:
        response = client.get("/app/" + ("" if name == "./" else name), headers=GZIP)
        assert response.status_code == 200, name
        bodies += len(response.get_data())
    assert bodies + 400 * len(files) < BUDGET, (bodies, len(files))
    source = client.get("/app/sw.js").get_data(as_text=True)
    declared = re.search(r"totalBytes: Number\('?(\d+)'?\)", source)
    assert declared and int(declared.group(1)) == bodies


def test_accept_encoding_is_read_as_http_says():
    """q=0 refuses gzip; '*' allows it; absent means identity."""
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("br;q=1.0, gzip;q=0.8")
    assert accepts_gzip("*")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("")
    assert not accepts_gzip("br, identity")
