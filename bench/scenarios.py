"""The scenarios: which requests, on which tiles and boxes, and the goals they are judged by.

Tiles and the bounding box are picked from the data: the z16 and z14 parcel tiles whose parcel
counts come closest to the targets, the z12 projects tile holding the most projects (parcels are
not drawn below z14), and a box around the z16 tile grown until it holds about 1,000 parcels.
The same targets at every data-set size keep the answers the same size when the tables grow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import quote

import psycopg

WORLD = 40075016.685578488
HALF = WORLD / 2
TARGETS = {"bbox": 1000, "z14": 3750, "z16": 400}


@dataclass(frozen=True)
class Goal:
    """A goal against a peer.

    `vs` is tipg (quyhoach's throughput ≥ ratio × tipg's), floor (quyhoach's time per request
    ≤ ratio × the floor's) or tipg-bytes (quyhoach's answer ≤ ratio × tipg's bytes).
    """

    vs: str  # tipg | floor | tipg-bytes
    ratio: float

    def text(self) -> str:
        """The goal as the tables print it."""
        if self.vs == "tipg":
            return f"≥ {self.ratio:g}× tipg"
        if self.vs == "floor":
            return f"≤ {self.ratio:g}× floor"
        return f"tile bytes ≤ {self.ratio:g}× tipg's"


@dataclass(frozen=True)
class Scenario:
    """One load scenario: the same request to each peer at one connection count."""

    key: str
    title: str
    conns: int
    quyhoach: str
    tipg: str | None
    kind: str  # items | feature | tile
    goals: tuple[Goal, ...] = ()
    floor: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    goal_name: str | None = None  # the scenario's name in the Goals table (None: not listed)
    plain: str | None = None  # the uncompressed scenario a compressed one is compared with


@dataclass(frozen=True)
class Picks:
    """Where the scenarios look: a box, tiles (z, x, y) and a feature id."""

    bbox: tuple[float, float, float, float]
    bbox_parcels: int
    z12: tuple[int, int, int]
    z14: tuple[int, int, int]
    z16: tuple[int, int, int]
    feature_id: int


def _tile_counts(conn: psycopg.Connection, table: str, z: int) -> list[tuple[int, int, int]]:
    size = WORLD / 2**z
    return conn.execute(f"""
        SELECT x, y, count(*)::int FROM (
          SELECT floor((ST_X(p) + {HALF}) / {size})::int AS x,
                 floor(({HALF} - ST_Y(p)) / {size})::int AS y
          FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 3857) AS p FROM {table}) s) t
        GROUP BY x, y""").fetchall()


def _tile_centre(z: int, x: int, y: int) -> tuple[float, float]:
    n = 2**z
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lon, lat


def _count_in(conn: psycopg.Connection, box: tuple[float, float, float, float]) -> int:
    return conn.execute(
        "SELECT count(*) FROM parcels WHERE ST_Intersects(geom, "
        "ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 5897))", box).fetchone()[0]


def pick(url: str) -> Picks:
    """Tiles and a box holding about the target numbers of parcels."""
    with psycopg.connect(url) as conn:
        n = conn.execute("SELECT count(*) FROM parcels").fetchone()[0]
        picked = {}
        for z in (14, 16):
            target = TARGETS[f"z{z}"]
            x, y, _ = min(_tile_counts(conn, "parcels", z), key=lambda t: (abs(t[2] - target),
                                                                          t[0], t[1]))
            picked[z] = (z, x, y)
        x, y, _ = max(_tile_counts(conn, "projects", 12), key=lambda t: (t[2], -t[0], -t[1]))
        picked[12] = (12, x, y)
        lon, lat = _tile_centre(*picked[16])
        target = min(TARGETS["bbox"], max(1, n // 3))
        lo, hi = 0.0, 0.05
        box = (lon, lat, lon, lat)
        count = 0
        for _ in range(40):
            half = (lo + hi) / 2
            box = (round(lon - half, 6), round(lat - half, 6), round(lon + half, 6),
                   round(lat + half, 6))
            count = _count_in(conn, box)
            if abs(count - target) <= max(5, target * 0.01):
                break
            lo, hi = (half, hi) if count < target else (lo, half)
        fid = conn.execute("SELECT id FROM parcels ORDER BY id OFFSET %s LIMIT 1",
                           (n // 2,)).fetchone()[0]
    return Picks(box, count, picked[12], picked[14], picked[16], fid)


def scenarios(p: Picks) -> list[Scenario]:
    """The scenarios of the benchmark, in the order they run and print."""
    bbox = ",".join(f"{v:.6f}" for v in p.bbox)
    limit = 2000

    def tile_q(layer: str, t: tuple[int, int, int]) -> str:
        z, x, y = t
        return f"/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}"

    def tile_t(layer: str, t: tuple[int, int, int]) -> str:
        z, x, y = t
        return f"/collections/public.{layer}/tiles/WebMercatorQuad/{z}/{x}/{y}"

    items_q = f"/collections/parcels/items?bbox={bbox}&limit={limit}"
    items_t = f"/collections/public.parcels/items?bbox={bbox}&limit={limit}"
    # The same box as a CQL2 filter: S_INTERSECTS with a polygon literal instead of bbox=.
    x1, y1, x2, y2 = (f"{v:.6f}" for v in p.bbox)
    ring = f"{x1} {y1},{x2} {y1},{x2} {y2},{x1} {y2},{x1} {y1}"
    cql_q = (f"/collections/parcels/items?limit={limit}&filter="
             + quote(f"S_INTERSECTS(geometry,POLYGON(({ring})))"))
    cql_t = (f"/collections/public.parcels/items?limit={limit}&filter-lang=cql2-text&filter="
             + quote(f"S_INTERSECTS(geom,POLYGON(({ring})))"))
    bbox_goals = (Goal("tipg", 3.0), Goal("floor", 1.25))
    return [
        Scenario("bbox1", f"parcels in a bbox ({p.bbox_parcels:,}), GeoJSON, 1 conn", 1,
                 items_q, items_t, "items", bbox_goals,
                 goal_name=f"bbox {p.bbox_parcels:,} parcels, 1 conn"),
        Scenario("cql1", f"parcels in the same box ({p.bbox_parcels:,}) as a CQL2 filter "
                         "(S_INTERSECTS), GeoJSON, 1 conn", 1, cql_q, cql_t, "items", bbox_goals),
        # The 8-connection box is shown against the same goals; only the 1-connection one is
        # a goal of the project.
        Scenario("bbox8", f"parcels in a bbox ({p.bbox_parcels:,}), GeoJSON, 8 conns", 8,
                 items_q, items_t, "items", bbox_goals),
        Scenario("page8", "first page, limit=100, 8 conns", 8,
                 "/collections/parcels/items?limit=100",
                 "/collections/public.parcels/items?limit=100", "items",
                 (Goal("floor", 1.2),), goal_name="first page `limit=100`, 8 conns"),
        Scenario("feature8", "one feature by id, 8 conns", 8,
                 f"/collections/parcels/items/{p.feature_id}",
                 f"/collections/public.parcels/items/{p.feature_id}", "feature",
                 (Goal("tipg", 2.5),), goal_name="one feature by id, 8 conns"),
        Scenario("z12", f"MVT z12 projects {p.z12[0]}/{p.z12[2]}/{p.z12[1]} (z/y/x), 8 conns", 8,
                 tile_q("projects", p.z12), tile_t("projects", p.z12), "tile"),
        Scenario("z14", f"MVT z14 parcels {p.z14[0]}/{p.z14[2]}/{p.z14[1]}, 8 conns", 8,
                 tile_q("parcels", p.z14), tile_t("parcels", p.z14), "tile",
                 (Goal("floor", 1.2), Goal("tipg-bytes", 1.2)), goal_name="MVT z14 parcels"),
        Scenario("z16", f"MVT z16 parcels {p.z16[0]}/{p.z16[2]}/{p.z16[1]}, 8 conns", 8,
                 tile_q("parcels", p.z16), tile_t("parcels", p.z16), "tile",
                 (Goal("tipg", 1.3), Goal("floor", 1.2), Goal("tipg-bytes", 1.2)),
                 goal_name="MVT z16 parcels"),
    ]


# The order of the Goals table: (scenario key, goal) pairs, then the import and the map.
GOAL_ORDER = (("feature8", "tipg"), ("page8", "floor"), ("bbox1", "tipg"), ("bbox1", "floor"),
              ("z14", "floor"), ("z14", "tipg-bytes"), ("z16", "tipg"), ("z16", "floor"),
              ("z16", "tipg-bytes"))
# Run again beside a bare ASGI app (bench/bare.py) serving the same statements.
BARE = ("page8", "feature8")
IMPORT_GOAL = 1.2  # the import command's wall clock ≤ 1.2 × ogr2ogr's
MAP_GOAL_MS = 2000.0  # /map drawn within 2 s
GZIP = (("Accept-Encoding", "gzip"),)


def compressed(scs: list[Scenario]) -> list[Scenario]:
    """Items in the box and the z14 tile again, asked for with `Accept-Encoding: gzip`."""
    out = []
    for sc in scs:
        if sc.key in ("bbox1", "z14"):
            out.append(Scenario(f"{sc.key}-gzip", f"{sc.title}, Accept-Encoding: gzip", sc.conns,
                                sc.quyhoach, sc.tipg, sc.kind, floor=False, headers=GZIP,
                                plain=sc.key))
    return out


def revalidation(p: Picks, etag: str) -> Scenario:
    """The z16 tile revalidated by a client that holds it (If-None-Match → 304), quyhoach only."""
    z, x, y = p.z16
    return Scenario("z16-304", "MVT z16 revalidated (If-None-Match → 304), 8 conns", 8,
                    f"/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}", None, "tile",
                    floor=False, headers=(("If-None-Match", etag),))
