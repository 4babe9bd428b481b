"""`make bench`: quyhoach against tipg, ogr2ogr and the PostGIS floor on a city-scale data set.

Generates the synthetic data set into its own database (reused while the generator and the
schema are unchanged), serves it with quyhoach and tipg side by side, drives both with wrk on
loopback in interleaved runs (quyhoach, tipg, floor; the order rotates each round), times the
GeoPackage import against ogr2ogr, loads /map in headless Chromium, and prints the table that
bench/results/latest.md keeps. Two of the requests are measured again with
`Accept-Encoding: gzip`, beside the uncompressed ones.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import benchdb  # noqa: E402
import cpu  # noqa: E402
import importbench  # noqa: E402
import load  # noqa: E402
import mapload  # noqa: E402
import pinning  # noqa: E402
import report  # noqa: E402
import scenarios  # noqa: E402
import servers  # noqa: E402
import synth  # noqa: E402

from core.settings import Settings  # noqa: E402


def log(msg: str) -> None:
    """Progress on stderr."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _count_features(kind: str, body: bytes) -> int | None:
    if kind == "feature":
        return 1
    if kind == "items":
        return len(json.loads(body)["features"])
    if not body:
        return 0
    import mapbox_vector_tile

    return sum(len(layer["features"]) for layer in mapbox_vector_tile.decode(body).values())


def _probe(base: str, sc: scenarios.Scenario, path: str) -> load.Measure:
    headers = dict(sc.headers)
    status, body, answered = load.fetch(base + path, headers)
    expected = 304 if "If-None-Match" in headers else 200
    if status != expected:
        raise RuntimeError(f"{base}{path} answered {status}: {body[:500]!r}")
    encoding = {k.lower(): v for k, v in answered.items()}.get("content-encoding")
    m = load.Measure(bytes=len(body), encoding=encoding)
    if encoding == "gzip":
        body = gzip.decompress(body)
    elif encoding not in (None, "identity"):
        raise RuntimeError(f"{base}{path} answered in {encoding}, which the probe cannot read")
    m.features = None if status == 304 else _count_features(sc.kind, body)
    return m


def run_scenarios(scs: list[scenarios.Scenario], q: servers.Server, t: servers.Server | None,
                  app, url: str, seconds: int, rounds: int, with_floor: bool,
                  warm: int, postmaster: int | None = None) -> list[report.Row]:
    """Every scenario: probe each peer, warm up, then interleaved measured runs.

    With `postmaster` (the database server's process), each run is also metered: CPU per request
    of the service, the database and the load generator (`bench/cpu.py`).
    """
    rows = []
    pids = {"quyhoach": q.proc.pid, **({t.name: t.proc.pid} if t is not None else {})}
    for sc in scs:
        log(f"{sc.key} ({q.workers} worker(s)): {sc.title}")
        row = report.Row(sc, q.workers, _probe(q.base, sc, sc.quyhoach))
        peers: list[tuple[str, load.Measure, object]] = [("quyhoach", row.quyhoach, q.base)]
        if t is not None and sc.tipg:
            row.tipg = _probe(t.base, sc, sc.tipg)
            peers.append((t.name, row.tipg, t.base))
        statements = None
        if with_floor and sc.floor:
            statements = load.capture(app, sc.quyhoach)
            row.floor = load.Measure(bytes=load.floor_bytes(url, statements))
            peers.append(("floor", row.floor, None))
        for name, _, base in peers if warm else ():
            if name == "floor":
                load.pgbench(url, statements, sc.conns, warm)
            else:
                path = sc.quyhoach if name == "quyhoach" else sc.tipg
                load.wrk(base + path, sc.conns, warm, dict(sc.headers))
        for r in range(rounds):
            order = peers[r % len(peers):] + peers[: r % len(peers)]
            for name, measure, base in order:
                meter = None if postmaster is None else cpu.Meter(postmaster, pids.get(name))
                if meter is not None:
                    meter.start()
                if name == "floor":
                    run = load.pgbench(url, statements, sc.conns, seconds)
                else:
                    path = sc.quyhoach if name == "quyhoach" else sc.tipg
                    run = load.wrk(base + path, sc.conns, seconds, dict(sc.headers))
                if meter is not None:
                    run.cpu = meter.stop(run.requests)
                measure.runs.append(run)
                log(f"  {name:8s} {run.rps:9.1f} req/s  p50 {run.p50:7.1f} ms  "
                    f"p99 {run.p99:7.1f} ms" + (f"  {run.errors} errors" if run.errors else ""))
        rows.append(row)
    return rows


class _Partial(Exception):
    """The scenarios asked for with --only have run."""


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write it."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=synth.FULL["parcels"])
    ap.add_argument("--seconds", type=int, default=8, help="length of each measured run")
    ap.add_argument("--rounds", type=int, default=3, help="measured runs per peer and scenario")
    ap.add_argument("--workers", type=int, default=2,
                    help="worker count of the second pass (8-connection scenarios); 0: none")
    ap.add_argument("--import-rounds", type=int, default=3)
    ap.add_argument("--map-rounds", type=int, default=3)
    ap.add_argument("--database", default=None,
                    help="the data set's database (default quyhoach_bench; quyhoach_bench_smoke "
                         "with --smoke, so a smoke run leaves the full data set alone)")
    ap.add_argument("--server-url", default=None,
                    help="admin URL of the PostgreSQL server (default: DATABASE_URL's, or the "
                         "project's own cluster)")
    ap.add_argument("--fresh", action="store_true", help="regenerate the data set")
    ap.add_argument("--drop", action="store_true", help="drop the benchmark databases at the end")
    ap.add_argument("--smoke", action="store_true",
                    help="a tiny run that checks the scripts work (not a measurement)")
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "latest.md")
    ap.add_argument("--work", type=Path, default=BENCH / ".work")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")
    ap.add_argument("--only", default=None,
                    help="comma-separated scenario keys (e.g. feature8,page8): only those, "
                         "1 worker, no import or map; written to bench/.work/partial.md "
                         "unless --out says otherwise")
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if only and args.out == BENCH / "results" / "latest.md":
        args.out = args.work / "partial.md"
    args.database = args.database or ("quyhoach_bench_smoke" if args.smoke else "quyhoach_bench")
    if args.smoke:
        args.parcels, args.seconds, args.rounds = min(args.parcels, 300), 1, 1
        args.import_rounds, args.map_rounds, args.workers = 1, 1, 0
    args.work.mkdir(parents=True, exist_ok=True)
    warm = 0 if args.smoke else max(1, args.seconds // 4)

    settings = Settings()
    server = args.server_url or benchdb.server_url(settings)
    t0 = time.perf_counter()
    load_before = os.getloadavg()
    log(f"data set: {args.parcels:,} parcels in database {args.database}")
    url, ds, secs = benchdb.ensure(server, args.database, args.parcels, fresh=args.fresh)
    log(f"generated and loaded in {secs:.1f} s" if ds else "reusing the existing data set")
    picks = scenarios.pick(url)
    log(f"picked: {picks}")
    scs = scenarios.scenarios(picks)
    if only:
        unknown = only - {sc.key for sc in scs}
        if unknown:
            ap.error(f"unknown scenario(s) {', '.join(sorted(unknown))}; known: "
                     + ", ".join(sc.key for sc in scs))
        scs = [sc for sc in scs if sc.key in only]
    log("tipg: preparing its virtual environment")
    servers.ensure_tipg()

    from api.app import create_app

    app = create_app(Settings(database_url=url, basemap_url="http://127.0.0.1:9/{z}/{x}/{y}.png"))
    res = report.Results(picks=picks, scenarios=scs, parcels=args.parcels)
    if ds is None:
        ds = synth.generate(args.parcels)
    res.settings = {
        "data set": (f"{args.parcels:,} parcels, {ds.counts['projects']:,} projects, "
                     f"{ds.counts['red_line_markers']:,} red-line markers, "
                     f"{ds.counts['lakes']} lakes, {ds.counts['civilized_streets']} streets, "
                     f"{len(ds.rows['red_lines'])} red lines, {len(ds.rows['wards'])} wards "
                     f"in 12 districts (bench/synth.py, seed {synth.SEED})"),
        "runs": f"{args.rounds} interleaved runs of {args.seconds} s per peer and scenario "
                "(medians shown), after a warm-up run",
        "load generator": "wrk on loopback, no Accept-Encoding (uncompressed on both services) "
                          "except in the compressed rows (`Accept-Encoding: gzip`)",
        "floor": "pgbench -M prepared running the statements quyhoach sends for that request "
                 "(captured from the app), same connection count, jit=off, and the "
                 "plan_cache_mode of the app's connection for them (force_custom_plan; "
                 "force_generic_plan for a lookup by primary key)",
        "tipg": f"{servers.tipg_version()} from PyPI in bench/.venv-tipg, the seven layer "
                f"tables only, MVT buffer {servers.TILE_BUFFER} like quyhoach, catalog TTL off",
        "bbox": f"{picks.bbox} (CRS84), {picks.bbox_parcels:,} parcels intersect it; "
                "limit=2000 on both",
    }
    running: list[servers.Server] = []
    try:
        postmaster = cpu.postmaster_pid(url)
        log("starting quyhoach and tipg (1 worker each)")
        q = servers.start_quyhoach(url, 1, args.work)
        running.append(q)
        t = servers.start_tipg(url, 1, args.work)
        running.append(t)
        res.rows += run_scenarios(scs, q, t, app, url, args.seconds, args.rounds, True,
                                  warm, postmaster)
        bare_scs = [sc for sc in scs if sc.key in scenarios.BARE]
        if bare_scs:
            log("bare ASGI app (bench/bare.py): the same statements with no framework")
            bare = servers.start_bare(url, args.work)
            running.append(bare)
            res.bare_rows += run_scenarios(bare_scs, q, bare, app, url, args.seconds,
                                           args.rounds, True, warm, postmaster)
            bare.stop()
            log("the database on a CPU of its own: quyhoach, the bare app and the floor again")
            with pinning.database_apart(url) as why_not:
                if why_not is None:
                    apart = [servers.start_quyhoach(url, 1, args.work),
                             servers.start_bare(url, args.work)]
                    running += apart
                    res.apart_rows += run_scenarios(bare_scs, *apart, app, url, args.seconds,
                                                    args.rounds, True, warm, postmaster)
                    for s in apart:
                        s.stop()
                else:
                    res.notes.append(f"The pass with the database on a CPU of its own did not "
                                     f"run: {why_not}.")
        if only:
            raise _Partial
        log("compressed: the box and the z14 tile with Accept-Encoding: gzip")
        res.gzip_rows += run_scenarios(scenarios.compressed(scs), q, t, app, url, args.seconds,
                                       args.rounds, False, warm)
        _, _, headers = load.fetch(q.base + scs[-1].quyhoach)
        if headers.get("ETag") or headers.get("etag"):
            reval = scenarios.revalidation(picks, headers.get("ETag") or headers.get("etag"))
            res.extra_rows += run_scenarios([reval], q, None, app, url, args.seconds,
                                            args.rounds, False, warm)
        for s in running:
            s.stop()
        running.clear()
        if args.workers and args.workers != 1:
            log(f"starting quyhoach and tipg ({args.workers} workers each)")
            q = servers.start_quyhoach(url, args.workers, args.work)
            running.append(q)
            t = servers.start_tipg(url, args.workers, args.work)
            running.append(t)
            floors = {r.scenario.key: r.floor for r in res.rows}
            multi = run_scenarios([s for s in scs if s.conns > 1], q, t, app, url,
                                  args.seconds, args.rounds, False, warm)
            for r in multi:
                r.floor = floors.get(r.scenario.key)
            res.rows += multi
            res.notes.append(f"The {args.workers}-worker pass reuses the floor measured in the "
                             "1-worker pass (the floor has no workers).")
            for s in running:
                s.stop()
            running.clear()

        log("import: writing the GeoPackage")
        gpkg = synth.write_geopackage(ds, args.work / f"parcels-{args.parcels}.gpkg")
        try:
            importbench.prepare(server, args.database, ds)
            log("import: quyhoach import against ogr2ogr")
            res.imports = importbench.run(server, args.database, gpkg, args.import_rounds,
                                          args.parcels)
        finally:
            importbench.cleanup(server, args.database)

        log("map: /map in headless Chromium")
        q = servers.start_quyhoach(url, 1, args.work)
        running.append(q)
        res.map = mapload.measure(q.base, "/map", args.map_rounds)
    except _Partial:
        res.notes.append(f"A partial run: scenarios {', '.join(sorted(only or ()))} only.")
    finally:
        for s in running:
            s.stop()
    env = report.machine(url)
    res.notes.append(f"Benchmark wall time: {(time.perf_counter() - t0) / 60:.1f} min; load "
                     f"average (1, 5, 15 min) {', '.join(f'{v:.1f}' for v in load_before)} at "
                     f"the start, {', '.join(f'{v:.1f}' for v in os.getloadavg())} at the end "
                     "(other work on the machine shows here).")
    text = report.render(res, env)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    log(f"written to {args.out}")
    if args.json:
        args.json.write_text(json.dumps(report.to_json(res, env), indent=1), encoding="utf-8")
    if args.drop:
        benchdb.drop(server, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
