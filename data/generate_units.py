"""Deterministic sample administrative units: the old districts and wards, and the new wards.

Run `python data/generate_units.py` to (re)write data/sample/admin_units.geojson and
data/sample/unit_succession.csv from data/sample/wards.geojson and data/units_sample.json, and
check them; `--check` only reads them back and checks them. Approximate shapes: a new ward takes
its whole old wards as they are, and the old wards it shares with others are cut between them
along the Voronoi lines of the new wards' seeds.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import shapely
from generate import OUT, as_multi, ground_areas, mm, vn, write_geojson
from shapely.geometry import MultiPolygon, Point, shape
from shapely.geometry.base import BaseGeometry

SOURCE = Path(__file__).resolve().parent / "units_sample.json"
GRID = 0.001  # metres: every boundary on the millimetre grid, as in the other sample layers
SUCCESSION_COLUMNS = ["successor_id", "predecessor_id", "whole"]


def slug(name: str) -> str:
    """An ASCII slug of a Vietnamese name: 'Bồ Đề' -> 'bo-de'."""
    plain = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split())


def read_old_wards(path: Path) -> dict[str, dict[str, BaseGeometry]]:
    """The old wards of the sample, by district slug and name."""
    wards: dict[str, dict[str, BaseGeometry]] = {}
    for feature in json.loads(path.read_text(encoding="utf-8"))["features"]:
        props = feature["properties"]
        wards.setdefault(props["district"], {})[props["name"]] = shape(feature["geometry"])
    return wards


def union(geoms: list[BaseGeometry]) -> MultiPolygon:
    """The union of polygons on the millimetre grid, as a MultiPolygon."""
    return as_multi(shapely.union_all(geoms, grid_size=GRID))


def cut_lines(ward: BaseGeometry, seeds: list[Point]) -> BaseGeometry:
    """The Voronoi lines of some seeds across an old ward (a little beyond, to node with it)."""
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=ward.buffer(5000))
    edges = shapely.union_all([c.boundary for c in cells.geoms])
    return shapely.intersection(edges, ward.buffer(1.0))


def faces(old: dict[str, BaseGeometry], lines: list[BaseGeometry]) -> list[BaseGeometry]:
    """The faces of the old wards' boundaries and the cut lines, noded once, so they tile."""
    noded = shapely.union_all([g.boundary for g in old.values()] + lines)
    return list(shapely.polygonize(list(getattr(noded, "geoms", [noded]))).geoms)


def build(source: dict[str, Any], old: dict[str, dict[str, BaseGeometry]]
          ) -> tuple[list[tuple[dict[str, Any], BaseGeometry]], list[dict[str, Any]]]:
    """The units (properties and boundary) and the succession rows.

    The old wards' boundaries and the cut lines are noded once into faces, rounded to the
    millimetre; every unit, old or new, is a union of these faces, so the new wards tile the old
    districts exactly and the shares of each old unit add up to one.
    """
    city, old_from, old_to = source["city"], source["old_valid_from"], source["old_valid_to"]
    new_from = source["new_valid_from"]
    taken = {city["id"], *(d["id"] for d in source["districts"])}
    taken |= {f"{d}.{slug(n)}" for d, wards in old.items() for n in wards}
    new_ids: dict[str, str] = {}
    seeds: dict[str, Point] = {}
    for w in source["new_wards"]:
        ident = slug(w["name"])
        new_ids[w["name"]] = ident if ident not in taken else f"{ident}-{new_from[:4]}"
        taken.add(new_ids[w["name"]])
        seed = w.get("seed")
        seeds[w["name"]] = (Point(vn(*seed)) if seed else
                            union([old[w["district"]][n] for n in w["whole"]]).centroid)

    claims: dict[tuple[str, str], list[str]] = {}
    for w in source["new_wards"]:
        for part in w["parts"]:
            claims.setdefault((w["district"], part), []).append(w["name"])
    # A face goes to the new ward that takes its old ward whole or, in an old ward shared
    # between new wards, to the claimant whose seed is nearest (the Voronoi cut).
    owner = {(w["district"], n): w["name"] for w in source["new_wards"] for n in w["whole"]}
    of_old: dict[tuple[str, str], list[BaseGeometry]] = {}
    of_new: dict[str, list[BaseGeometry]] = {w["name"]: [] for w in source["new_wards"]}
    for district, wards in old.items():
        lines = []
        for (d, part), claimants in sorted(claims.items()):
            if d != district:
                continue
            if len(claimants) < 2 or (d, part) in owner:
                raise ValueError(f"{part}: a shared ward goes to two new wards or more, not whole")
            lines.append(cut_lines(wards[part], [seeds[n] for n in claimants]))
        for face in faces(wards, lines):
            at = face.point_on_surface()
            ward = next(n for n, g in wards.items() if g.contains(at))
            name = owner.get((district, ward)) or min(
                claims[district, ward], key=lambda n: seeds[n].distance(at))
            rounded = mm(face)
            if not rounded.is_valid or rounded.is_empty:
                raise ValueError(f"a face of {ward} collapses on the millimetre grid")
            of_old.setdefault((district, ward), []).append(rounded)
            of_new[name].append(rounded)

    units: list[tuple[dict[str, Any], BaseGeometry]] = []
    all_faces = [f for fs in of_old.values() for f in fs]
    units.append(({"id": city["id"], "level": "city", "name": city["name"], "parent_id": None,
                   "valid_from": city["valid_from"], "valid_to": None}, union(all_faces)))
    for d in source["districts"]:
        ident = d["id"]
        units.append(({"id": ident, "level": "district", "name": d["name"],
                       "parent_id": city["id"], "valid_from": old_from, "valid_to": old_to},
                      union([f for (dd, _), fs in of_old.items() if dd == ident for f in fs])))
        units += [({"id": f"{ident}.{slug(name)}", "level": "ward", "name": name,
                    "parent_id": ident, "valid_from": old_from, "valid_to": old_to},
                   union(of_old[ident, name])) for name in sorted(old[ident])]

    succession: list[dict[str, Any]] = []
    for w in source["new_wards"]:
        ident, district = new_ids[w["name"]], w["district"]
        units.append(({"id": ident, "level": "ward", "name": w["name"], "parent_id": city["id"],
                       "valid_from": new_from, "valid_to": None}, union(of_new[w["name"]])))
        succession.append({"successor_id": ident, "predecessor_id": district, "whole": False})
        succession += [{"successor_id": ident, "predecessor_id": f"{district}.{slug(n)}",
                        "whole": True} for n in w["whole"]]
        succession += [{"successor_id": ident, "predecessor_id": f"{district}.{slug(n)}",
                        "whole": False} for n in w["parts"]]
    units.sort(key=lambda u: u[0]["id"])
    succession.sort(key=lambda r: (r["successor_id"], r["predecessor_id"]))
    return units, succession


def write_succession(path: Path, rows: list[dict[str, Any]]) -> int:
    """Write the succession CSV; return the row count."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, SUCCESSION_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "whole": "true" if row["whole"] else "false"})
    return len(rows)


def generate(out: Path) -> dict[str, int]:
    """Write the units and their succession into `out`."""
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    units, succession = build(source, read_old_wards(out / "wards.geojson"))
    return {"admin_units": write_geojson(out / "admin_units.geojson", "admin_units", units),
            "unit_succession": write_succession(out / "unit_succession.csv", succession)}


def check(out: Path) -> bool:
    """Read the files back: every old unit is tiled by its successors; print the shares."""
    features = json.loads((out / "admin_units.geojson").read_text(encoding="utf-8"))
    ok = features["crs"]["properties"]["name"].endswith("EPSG::5897")
    geoms = {f["properties"]["id"]: shape(f["geometry"]) for f in features["features"]}
    with (out / "unit_succession.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for pred in sorted({r["predecessor_id"] for r in rows}):
        succ = [r["successor_id"] for r in rows if r["predecessor_id"] == pred]
        shared = ground_areas([geoms[pred].intersection(geoms[s]) for s in succ])
        whole = ground_areas([geoms[pred]])[0]
        gap = geoms[pred].difference(shapely.union_all([geoms[s] for s in succ])).area
        overlap = sum(geoms[a].intersection(geoms[b]).area for a in succ for b in succ if a < b)
        good = abs(sum(shared) / whole - 1) < 1e-6 and gap < 1e-3 and overlap < 1e-3
        ok &= good
        print(f"{pred}: " + ", ".join(f"{s} {a / whole:.3f}" for s, a in zip(succ, shared,
                                                                                strict=True))
              + ("" if good else "  <-- NOT TILED"))
    return ok


def main(argv: list[str] | None = None) -> int:
    """Generate the units (default) or check them (--check)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only read back and check the files")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (data/sample)")
    args = parser.parse_args(argv)
    if not args.check:
        counts = generate(args.out)
        print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0 if check(args.out) else 1


if __name__ == "__main__":
    sys.exit(main())
