"""The shipped nginx configuration caches tiles in front of the real service, and stays correct.

nginx from Debian runs as a subprocess with `deploy/nginx/quyhoach.conf` rendered into a
temporary prefix, proxying to the `live_server` fixture. A versioned tile is stored once and
served from the cache after; an edit of the layer moves the tile documents to a new `?v=`,
whose tiles are fetched fresh with the new content, without any purge.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import mapbox_vector_tile
import pytest
from sqlalchemy import Engine, text

from api.routes.tiles import tile_of
from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx" / "quyhoach.conf"
PLACEHOLDERS = ("${QUYHOACH_LISTEN}", "${QUYHOACH_UPSTREAM}", "${QUYHOACH_CACHE_DIR}")
TILEJSON = "/collections/lakes/tiles/WebMercatorQuad/tilejson.json"
Z = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(template: str, listen: str, upstream: str, cache_dir: Path) -> str:
    """The template with its placeholders filled, as `envsubst` with the three names does."""
    out = (template.replace("${QUYHOACH_LISTEN}", listen)
           .replace("${QUYHOACH_UPSTREAM}", upstream)
           .replace("${QUYHOACH_CACHE_DIR}", str(cache_dir)))
    assert "${QUYHOACH_" not in out
    return out


def main_config(prefix: Path) -> str:
    """A whole nginx.conf around the site file, everything under `prefix`."""
    # As root the workers would run as nobody, who cannot enter pytest's private tmp dirs.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temps = "\n".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}worker_processes 1;\nerror_log {prefix / 'error.log'} warn;\n"
            "events { worker_connections 128; }\n"
            f"http {{\n    access_log {prefix / 'access.log'};\n{temps}\n"
            f"    include {prefix / 'quyhoach.conf'};\n}}\n")


@pytest.fixture(scope="module")
def cache_proxy(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """nginx with the shipped configuration in front of the live service; yields its base URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is missing: `make system` installs nginx-light"
    prefix = tmp_path_factory.mktemp("nginx")
    (prefix / "tmp").mkdir()
    port = _free_port()
    upstream = urlsplit(live_server).netloc
    site = render(TEMPLATE.read_text(encoding="utf-8"), f"127.0.0.1:{port}", upstream,
                  prefix / "cache")
    (prefix / "quyhoach.conf").write_text(site, encoding="utf-8")
    (prefix / "nginx.conf").write_text(main_config(prefix), encoding="utf-8")
    cmd = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
           "-g", f"daemon off; pid {prefix / 'nginx.pid'};"]
    check = subprocess.run([*cmd, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else "nginx exited"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A client that asks for no compression unless a request says otherwise."""
    with httpx.Client(timeout=30, headers={"Accept-Encoding": "identity"}) as c:
        yield c


def _lake(engine: Engine, z: int = Z) -> tuple[int, str, tuple[int, int]]:
    """(id, name, tile x/y at zoom z) of one sample lake."""
    with engine.connect() as c:
        row = c.execute(text(
            "SELECT id, name, ST_X(p) AS lon, ST_Y(p) AS lat FROM ("
            " SELECT id, name, ST_Transform(ST_PointOnSurface(geom), 4326) AS p FROM lakes) l"
            " ORDER BY id LIMIT 1")).one()
    return row.id, row.name, tile_of(row.lon, row.lat, z)


def _tile_url(client: httpx.Client, proxy: str, x: int, y: int, z: int = Z) -> str:
    """The versioned tile URL the TileJSON (fetched through the proxy) names for z/x/y."""
    doc = client.get(proxy + TILEJSON)
    assert doc.status_code == 200
    template = doc.json()["tiles"][0]
    assert template.startswith(proxy + "/collections/lakes/tiles/"), template
    assert "?v=" in template
    return template.replace("{z}", str(z)).replace("{y}", str(y)).replace("{x}", str(x))


def _names(body: bytes) -> set[str]:
    layer = mapbox_vector_tile.decode(body).get("lakes", {"features": []})
    return {f["properties"].get("name") for f in layer["features"]}


def test_versioned_tile_is_cached_then_replaced_by_the_next_version(
        cache_proxy: str, http: httpx.Client, engine: Engine) -> None:
    lake_id, name, (x, y) = _lake(engine)
    url = _tile_url(http, cache_proxy, x, y)

    first = http.get(url)
    assert first.status_code == 200
    assert first.headers["x-cache-status"] == "MISS"
    assert "immutable" in first.headers["cache-control"]
    assert name in _names(first.content)
    second = http.get(url)
    assert second.headers["x-cache-status"] == "HIT"
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    # A client holding the tile revalidates against the cache, not the service.
    again = http.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["x-cache-status"] == "HIT"

    renamed = f"{name} (đã kè)"
    try:
        with engine.begin() as c:
            c.execute(text("UPDATE lakes SET name = :n WHERE id = :id"), {"n": renamed, "id": lake_id})
        new_url = _tile_url(http, cache_proxy, x, y)
        assert new_url != url
        fresh = http.get(new_url)
        assert fresh.status_code == 200
        assert fresh.headers["x-cache-status"] == "MISS"
        assert fresh.headers["etag"] != first.headers["etag"]
        assert renamed in _names(fresh.content)
        assert name not in _names(fresh.content)
        assert http.get(new_url).headers["x-cache-status"] == "HIT"

        # A tile URL without the current version is never stored: it always shows the data now.
        unversioned = url.split("?")[0]
        for _ in range(2):
            r = http.get(unversioned)
            assert r.headers["x-cache-status"] != "HIT"
            assert "immutable" not in r.headers["cache-control"]
            assert r.headers["etag"] == fresh.headers["etag"]
            assert renamed in _names(r.content)
    finally:
        with engine.begin() as c:
            c.execute(text("UPDATE lakes SET name = :n WHERE id = :id"), {"n": name, "id": lake_id})


def test_each_encoding_gets_its_own_cached_variant(
        cache_proxy: str, http: httpx.Client, engine: Engine) -> None:
    # The wards tile over the sample's middle: large enough for the service to compress it.
    with engine.connect() as c:
        lon, lat = c.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_Centroid(ST_Collect(geom)), 4326)"
            " AS p FROM wards) s")).one()
    x, y = tile_of(lon, lat, 12)
    doc = http.get(cache_proxy + "/collections/wards/tiles/WebMercatorQuad/tilejson.json").json()
    url = doc["tiles"][0].replace("{z}", "12").replace("{y}", str(y)).replace("{x}", str(x))
    asks = {"br": "gzip, deflate, br", "gzip": "gzip", "identity": "identity"}
    first = {enc: http.get(url, headers={"Accept-Encoding": ask}) for enc, ask in asks.items()}
    for enc, r in first.items():
        assert r.status_code == 200
        # No client is handed a variant stored for another encoding.
        assert r.headers["x-cache-status"] == "MISS", enc
        assert r.headers.get("content-encoding", "identity") in (enc, "identity"), enc
    assert "content-encoding" not in first["identity"].headers
    assert len(first["identity"].content) >= 1024
    assert first["gzip"].headers["content-encoding"] == "gzip"
    for enc, ask in asks.items():
        again = http.get(url, headers={"Accept-Encoding": ask})
        assert again.headers["x-cache-status"] == "HIT", enc
        assert again.headers.get("content-encoding") == first[enc].headers.get("content-encoding")
    # httpx undoes a Content-Encoding: every variant is the same tile.
    assert first["br"].content == first["gzip"].content == first["identity"].content
    assert mapbox_vector_tile.decode(first["identity"].content)["wards"]["features"]
