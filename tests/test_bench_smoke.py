"""The benchmark's scripts, end to end on a tiny data set (a smoke run, not a measurement)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from maps import styles

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"bbox1", "bbox8", "page8", "feature8", "z12", "z14", "z16"}


def test_bench_smoke(server_url: str, tmp_path: Path) -> None:
    database = f"quyhoach_bench_smoke_{os.getpid()}"
    out, js = tmp_path / "latest.md", tmp_path / "latest.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--server-url", server_url,
         "--database", database, "--out", str(out), "--json", str(js),
         "--work", str(tmp_path / "work"), "--drop"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]

    res = json.loads(js.read_text())
    rows = {r["key"]: r for r in res["rows"] if r["workers"] == 1}
    assert set(rows) >= SCENARIOS
    for key in SCENARIOS:
        row = rows[key]
        for peer in ("quyhoach", "tipg", "floor"):
            m = row[peer]
            assert m["rps"] > 0 and m["runs"] == 1, (key, peer, m)
            assert m["errors"] == 0, (key, peer, m)
            assert m["p99_ms"] >= m["p50_ms"] > 0, (key, peer, m)
            assert m["bytes"] > 0, (key, peer, m)
        assert row["quyhoach"]["features"] > 0 and row["tipg"]["features"] > 0, row
        assert row["goals"] or key == "z12"
    # The same tile from both services: the same parcels, and PostGIS's own tile is quyhoach's.
    for key in ("z14", "z16"):
        assert rows[key]["quyhoach"]["features"] == rows[key]["tipg"]["features"]
        assert rows[key]["quyhoach"]["bytes"] == rows[key]["floor"]["bytes"]
    assert rows["feature8"]["quyhoach"]["features"] == 1
    # The box as a CQL2 S_INTERSECTS filter selects what bbox= does.
    assert rows["cql1"]["quyhoach"]["features"] == rows["bbox1"]["quyhoach"]["features"]
    assert 0 < rows["page8"]["quyhoach"]["features"] <= 100
    # The bare ASGI app answered the same page and feature, beside quyhoach and the floor.
    bare = {r["key"]: r for r in res["bare"]}
    assert set(bare) == {"page8", "feature8"}
    for key, row in bare.items():
        for peer in ("quyhoach", "bare", "floor"):
            assert row[peer]["rps"] > 0 and row[peer]["errors"] == 0, (key, peer, row)
        assert row["bare"]["features"] == rows[key]["quyhoach"]["features"], key
        # Each run metered: the services' processes and the database did work for the requests;
        # the floor has no service, and its database part is PostgreSQL's own.
        for peer in ("quyhoach", "bare"):
            cpu = row[peer]["cpu_ms"]
            assert cpu["service"] > 0 and cpu["database"] > 0 and cpu["client"] > 0, (key, cpu)
        assert row["floor"]["cpu_ms"]["service"] == 0 and row["floor"]["cpu_ms"]["database"] > 0
    # Again with the database on a CPU of its own, where this process may pin the server.
    if os.geteuid() == 0 and len(os.sched_getaffinity(0)) >= 2:
        apart = {r["key"]: r for r in res["apart"]}
        assert set(apart) == {"page8", "feature8"}
        for key, row in apart.items():
            for peer in ("quyhoach", "bare", "floor"):
                assert row[peer]["rps"] > 0 and row[peer]["errors"] == 0, (key, peer, row)
    # Everything is back on every CPU afterwards: a new backend (asked while its connection is
    # open: it ends with it) has the CPUs this process has.
    with psycopg.connect(server_url) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert os.sched_getaffinity(backend) == os.sched_getaffinity(0)
    reval = next(r for r in res["rows"] if r["key"] == "z16-304")
    assert reval["quyhoach"]["rps"] > 0 and reval["quyhoach"]["bytes"] == 0
    # The compressed rows: both peers measured, tipg compresses (its own middleware), and what
    # is counted is the body as sent.
    for key in ("bbox1", "z14"):
        gz = rows[f"{key}-gzip"]
        for peer in ("quyhoach", "tipg"):
            assert gz[peer]["rps"] > 0 and gz[peer]["errors"] == 0, (key, peer, gz)
            assert gz[peer]["features"] == rows[key][peer]["features"], (key, peer)
        assert gz["tipg"]["encoding"] == "gzip"
        assert gz["tipg"]["bytes"] < rows[key]["tipg"]["bytes"]
        assert gz["floor"] is None
    # Every goal of the project is listed, measured.
    goals = [g["goal"] for g in res["goals"]]
    assert len(goals) == 11, goals
    assert goals[0] == "one feature by id, 8 conns: ≥ 2.5× tipg"
    assert "MVT z14 parcels: tile bytes ≤ 1.2× tipg's" in goals
    assert goals[-2:] == ["import 300 parcels (command wall clock) ≤ 1.2× ogr2ogr",
                          "`/map` drawn with 300 parcels ≤ 2 s"]
    assert all(g["status"] == "met" or g["status"].startswith("missed") for g in res["goals"])

    im = res["imports"]
    assert im["rows"] == 300
    for way in ("quyhoach_cli", "quyhoach_inproc", "ogr2ogr", "ogr2ogr_bare", "ogr2ogr_new"):
        assert len(im[way]) == 1 and im[way][0] > 0, (way, im)

    mp = res["map"]
    assert mp["drawn_ms"] and 0 < mp["drawn_ms"][0] < 60_000
    assert 0 < mp["html_bytes"] < 200 * 1024
    assert mp["state"]["layers"]["parcels"]["source"] == "tiles"
    shown = set(styles.OPENING_LAYERS)
    assert all(s["status"] in ("loaded", "hidden") for k, s in mp["state"]["layers"].items()
               if k in shown)
    assert all(s["status"] == "idle" for k, s in mp["state"]["layers"].items() if k not in shown)

    text = out.read_text()
    for label in ("## Goals\n", "## Compressed (`Accept-Encoding: gzip`)", "q ÷ tipg",
                  "q ÷ floor", "ogr2ogr", "drawn with 300 parcels ≤ 2 s", "**nproc**",
                  "**postgis**", "**cpu**"):
        assert label in text, label
    # --drop leaves no benchmark database behind.
    with psycopg.connect(server_url) as c:
        left = c.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                         (database + "%",)).fetchall()
    assert left == []


def test_bench_scale_smoke(server_url: str, tmp_path: Path) -> None:
    base = f"quyhoach_bench_scale_smoke_{os.getpid()}"
    out, js = tmp_path / "scale.md", tmp_path / "scale.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--smoke", "--server-url", server_url,
         "--database", base, "--out", str(out), "--json", str(js),
         "--work", str(tmp_path / "work"), "--drop"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]

    res = json.loads(js.read_text())
    assert [r["parcels"] for r in res] == [300, 600]
    for size in res:
        keys = {r["key"] for r in size["rows"]}
        assert keys == {"bbox1", "feature8", "z14", "z16"}, keys
        for r in size["rows"]:
            for peer in ("quyhoach", "floor"):
                assert r[peer]["rps"] > 0 and r[peer]["errors"] == 0, (size["parcels"], r)
            assert r["tipg"] is None
        im = size["imports"]
        assert im["rows"] == size["parcels"]
        assert len(im["quyhoach_cli"]) == 1 and len(im["ogr2ogr"]) == 1
    text = out.read_text()
    for label in ("## Reads (1 worker)", "q time per feature ÷ 300", "## Import", "s per 100k parcels"):
        assert label in text, label
    with psycopg.connect(server_url) as c:
        left = c.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                         (base + "%",)).fetchall()
    assert left == []
