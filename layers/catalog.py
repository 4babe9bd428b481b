"""The layer catalogue: one YAML file per layer in `layers/catalog/`, validated on load.

An entry declares everything the service derives for a layer: the table (through a generated,
reviewed migration), the OGC collection, its queryables and tiles, the map's style, legend and
popup, and the columns `quyhoach import` fills. A bad entry is refused with its file, its line
and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"

GEOMETRY_TYPES = ("MultiPolygon", "MultiLineString", "Point")
MEASURES = {"MultiPolygon": "area_ha", "MultiLineString": "length_m", "Point": "none"}
THEMES = ("clearance", "planning", "infrastructure", "administrative")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_DASH = re.compile(r"^\d+( \d+)*$")
_NAME = r"^[a-z][a-z0-9_]*$"
# Names the service itself gives every feature.
RESERVED = {"id", "geom", "area_m2", "area_ha", "length_m"}


class CatalogError(ValueError):
    """A catalogue entry that cannot be used, with where and why."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
    """A text in Vietnamese and in English."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def pick(self, lang: str) -> str:
        """The text in a language (Vietnamese unless English is asked for)."""
        return self.en if lang == "en" else self.vi


class Attribute(_Strict):
    """One attribute of a layer's features."""

    type: Literal["text", "slug", "integer", "numeric", "boolean", "date"]
    title: Words
    required: bool = False
    values: dict[str, Words] | None = None  # a vocabulary: code -> label
    # A vocabulary the service keeps in code with more than labels (land uses: aliases, colours).
    values_from: Literal["land_uses"] | None = None
    min: float | None = None
    max: float | None = None
    default: Any = None
    precision: tuple[int, int] | None = None  # numeric(p, s)
    queryable: bool = False
    access: Literal["public", "staff"] = "public"
    # Not a file column: filled by the database or another column (and not imported).
    imported: bool = True
    # Given by the layer's reviewed feature source only (a join or a figure), not a column.
    computed: bool = False
    references: str | None = None  # the layer whose id the attribute holds
    by_code: str | None = None  # a file column naming the referenced row by its code instead

    @model_validator(mode="after")
    def _consistent(self) -> Attribute:
        if self.values is not None and (not self.values or self.type != "text"):
            raise ValueError("a vocabulary (values) needs type text and at least one value")
        if self.values is not None and self.values_from is not None:
            raise ValueError("values and values_from exclude each other")
        if (self.min is not None or self.max is not None) and self.type not in ("integer",
                                                                                "numeric"):
            raise ValueError("min and max apply to integer and numeric attributes")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        if self.precision is not None and self.type != "numeric":
            raise ValueError("precision applies to numeric attributes")
        if self.values and self.default is not None and self.default not in self.values:
            raise ValueError(f"default {self.default!r} is not one of the values")
        return self


class LowZoom(_Strict):
    """Weight and opacities below a zoom: emphasis where features are small on screen."""

    below: int = Field(ge=1, le=22)
    weight: float | None = Field(None, gt=0, le=20)
    opacity: float | None = Field(None, ge=0, le=1)
    fill_opacity: float | None = Field(None, ge=0, le=1)


class Style(_Strict):
    """How the map draws a layer: a colour per category, dashes, a symbol size."""

    color_by: str | None = None
    colors: dict[str, str] = {}
    default: str = "#666666"
    stroke: str | None = None
    weight: float = Field(2.0, gt=0, le=20)
    opacity: float = Field(0.9, ge=0, le=1)
    fill_opacity: float = Field(0.35, ge=0, le=1)
    dash_by: str | None = None
    dashes: dict[str, str] = {}
    dash: str | None = None
    radius: float = Field(5.0, gt=0, le=30)
    label: Words | None = None  # the legend's one row when nothing chooses the colour
    low_zoom: LowZoom | None = None

    @field_validator("default", "stroke")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        if v is not None and not _COLOR.match(v):
            raise ValueError(f"{v!r} is not a colour like #1f78b4")
        return v

    @field_validator("colors")
    @classmethod
    def _colors(cls, v: dict[str, str]) -> dict[str, str]:
        for key, color in v.items():
            if not _COLOR.match(str(color)):
                raise ValueError(f"colour of {key!r}: {color!r} is not a colour like #1f78b4")
        return v

    @field_validator("dash")
    @classmethod
    def _dash(cls, v: str | None) -> str | None:
        if v is not None and not _DASH.match(v):
            raise ValueError(f"dash {v!r} is not a list of lengths like '5 4'")
        return v

    @field_validator("dashes")
    @classmethod
    def _dashes(cls, v: dict[str, str]) -> dict[str, str]:
        for key, dash in v.items():
            if not _DASH.match(str(dash)):
                raise ValueError(f"dash of {key!r}: {dash!r} is not a list of lengths like '5 4'")
        return v


class MapOptions(_Strict):
    """Where and how the layer appears on the map."""

    order: int | None = None  # drawing order, bottom to top; None: not a layer of the map
    theme: Literal["clearance", "planning", "infrastructure", "administrative"]
    min_zoom: int = Field(0, ge=0, le=22)  # drawn from this zoom
    # Drawn from vector tiles above this many features (None: the map's own threshold).
    tiled_above: int | None = Field(None, ge=0)
    visible: bool = True  # shown when the map opens


class Popup(_Strict):
    """What a feature's popup shows: the title attribute, then fields in order."""

    title: str
    fields: tuple[str, ...] = ()


class Entry(_Strict):
    """One layer of the catalogue."""

    id: str = Field(pattern=_NAME, max_length=50)
    title: Words
    description: Words
    geometry: Literal["MultiPolygon", "MultiLineString", "Point"]
    # The point is built from two attributes (x, y) in the storage CRS: survey coordinates.
    geometry_from: tuple[str, str] | None = None
    measure: Literal["area_ha", "length_m", "none"]
    access: Literal["public", "staff"] = "public"
    attributes: dict[str, Attribute]
    temporal: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    tiles: tuple[str, ...] = ()
    style: Style
    map: MapOptions
    popup: Popup
    importable: bool = True
    # A reviewed feature source in layers/sql; without it the source is derived from the entry.
    source: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Entry:
        names = set(self.attributes)
        for name in names:
            if not re.match(_NAME, name):
                raise ValueError(f"attributes.{name}: names are lower-case letters, digits and _")
            if name in RESERVED:
                raise ValueError(f"attributes.{name}: the name is reserved")
        if MEASURES[self.geometry] != self.measure:
            raise ValueError(f"measure: a {self.geometry} layer measures "
                             f"{MEASURES[self.geometry]}, not {self.measure}")
        computed = {n for n, a in self.attributes.items() if a.computed}
        if computed and not self.source:
            raise ValueError(f"source: computed attributes {sorted(computed)} need a reviewed source")
        if self.geometry_from is not None:
            if self.geometry != "Point":
                raise ValueError("geometry_from: builds points only")
            _known(self.geometry_from, names, "geometry_from")
        if len(self.temporal) > 2:
            raise ValueError("temporal: one date attribute or a (start, end) pair")
        _known(self.temporal, names, "temporal")
        for name in self.temporal:
            if self.attributes[name].type != "date":
                raise ValueError(f"temporal: {name!r} is not a date")
        _known(self.unique, names - computed, "unique")
        _known(self.tiles, names - computed, "tiles")
        shown = names | ({self.measure} - {"none"})
        _known((self.popup.title,), shown, "popup.title")
        _known(self.popup.fields, shown, "popup.fields")
        for key, by, table in (("color_by", self.style.color_by, self.style.colors),
                               ("dash_by", self.style.dash_by, self.style.dashes)):
            if by is None:
                if table:
                    raise ValueError(f"style.{key}: missing for its colours or dashes")
                continue
            _known((by,), names, f"style.{key}")
            vocab = self.attributes[by].values or {}
            unknown = sorted(set(table) - set(vocab))
            if unknown:
                raise ValueError(f"style.{'colors' if key == 'color_by' else 'dashes'}: "
                                 f"{unknown} are not values of {by!r}")
            if by not in self.tiles:
                raise ValueError(f"style.{key}: {by!r} must be one of the tile attributes")
        if self.style.color_by is None and self.style.label is None:
            raise ValueError("style.label: a layer drawn in one colour needs a legend label")
        for name, attr in self.attributes.items():
            if attr.references is not None and attr.type != "integer":
                raise ValueError(f"attributes.{name}.type: an attribute that references a layer "
                                 "is an integer")
        return self


def _known(names: Iterable[str], known: set[str], key: str) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"{key}: unknown attributes {unknown}")


def _node_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at a validation error's location (or its parent's)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == key), None)
            if found is None:
                found = next((k for k, v in node.value if k.value == key), None)
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) \
                and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


_KEY_PATH = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*): ")


def _location(err: dict[str, Any]) -> tuple[Any, ...]:
    """Where an error lies: its location, or the key path an entry-wide check names first."""
    if err["loc"]:
        return tuple(err["loc"])
    found = _KEY_PATH.match(str(err["msg"]).removeprefix("Value error, "))
    return tuple(found.group(1).split(".")) if found else ()


def _reason(err: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "missing"
    elif err["type"] == "extra_forbidden":
        msg = "unknown key"
    return f"{loc}: {msg}" if loc else msg


# libyaml's parser where PyYAML was built with it (the wheels are): the catalogue is read at
# every start of the service and of every command.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_entry(source: str, path: Path | str = "<entry>") -> Entry:
    """A catalogue entry from YAML text, or a CatalogError naming the line and the reason."""
    try:
        data = yaml.load(source, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise CatalogError(path, mark.line + 1 if mark else None, str(problem)) from None
    if not isinstance(data, dict):
        raise CatalogError(path, 1, "an entry is a mapping of keys (id, title, ...)")
    try:
        return Entry.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        # The line is looked up only for an entry that fails: composing costs a second parse.
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        raise CatalogError(path, _node_line(node, _location(first)), _reason(first)) from None


def read_entry(path: Path) -> Entry:
    """A catalogue entry from its file."""
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(path, None, f"cannot be read ({type(exc).__name__})") from None
    entry = parse_entry(source, path)
    if entry.id != path.stem:
        raise CatalogError(path, _node_line(yaml.compose(source, Loader=yaml.SafeLoader), ("id",)),
                           f"id {entry.id!r} differs from the file name {path.stem!r}")
    return entry


def entry_files(*dirs: Path | None) -> list[Path]:
    """The entry files of catalogue directories, in order."""
    files: list[Path] = []
    for d in dirs:
        if d is not None and d.is_dir():
            files.extend(sorted(d.glob("*.yaml")))
    return files


def load_entries(*dirs: Path | None) -> list[Entry]:
    """Every entry of the catalogue directories, checked together (ids unique, references known)."""
    entries: list[Entry] = []
    seen: dict[str, Path] = {}
    files = entry_files(*dirs)
    for path in files:
        entry = read_entry(path)
        if entry.id in seen:
            raise CatalogError(path, 1, f"duplicate id {entry.id!r} (also in {seen[entry.id]})")
        seen[entry.id] = path
        entries.append(entry)
    for path, entry in zip(files, entries, strict=True):
        for name, attr in entry.attributes.items():
            if attr.references is not None and attr.references not in seen:
                raise CatalogError(path, None, f"attributes.{name}.references: unknown layer "
                                               f"{attr.references!r}")
    return entries
