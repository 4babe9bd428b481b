"""The planning layers, built from the catalogue (`layers/catalog/*.yaml`): one LayerSpec each.

The built-in entries are read from the package; a deployment adds its own layers with
`QUYHOACH_CATALOG_DIR` (entries there, their migrations in its `migrations/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.settings import get_settings
from layers import landuse
from layers.catalog import CATALOG_DIR, Attribute, CatalogError, Entry, load_entries

GEOMETRY_FAMILIES = {"MultiPolygon": "polygon", "MultiLineString": "line", "Point": "point"}
# JSON schema type of each attribute type, for queryables.
JSON_TYPES = {"text": "string", "slug": "string", "integer": "integer", "numeric": "number",
              "boolean": "boolean", "date": "string"}
# Vocabularies kept in code because they carry more than labels.
NAMED_VOCABULARIES: dict[str, tuple[str, ...]] = {"land_uses": landuse.CODES}


def extra_catalog_dir() -> Path | None:
    """The deployment's own catalogue directory (QUYHOACH_CATALOG_DIR), if one is configured."""
    return get_settings().catalog_dir


@dataclass(frozen=True)
class Queryable:
    """An attribute clients may filter on."""

    name: str
    type: str  # JSON schema type: string | integer | boolean | number
    title: str
    enum: tuple[str, ...] = ()
    format: str | None = None  # "date" for dates


@dataclass(frozen=True)
class ImportColumn:
    """A table column a file may fill on import, and how the file's values are read."""

    name: str
    kind: str = "text"  # text | slug | date | integer | numeric | boolean | code
    required: bool = False
    vocab: tuple[str, ...] = ()
    default: Any = None  # written where the file gives no value (the table's default)
    references: str | None = None  # the table whose id the column holds
    by_code: str | None = None  # a file column naming the referenced row by its code instead
    min: float | None = None
    max: float | None = None
    scale: int | None = None  # decimal places kept of a numeric column (None: as given)


def vocabulary(attr: Attribute) -> tuple[str, ...]:
    """The codes an attribute may hold (empty: any value of its type)."""
    if attr.values:
        return tuple(attr.values)
    if attr.values_from:
        return NAMED_VOCABULARIES[attr.values_from]
    return ()


def _queryable(name: str, attr: Attribute) -> Queryable:
    return Queryable(name, JSON_TYPES[attr.type], f"{attr.title.vi} / {attr.title.en}",
                     vocabulary(attr), "date" if attr.type == "date" else None)


def _import_column(name: str, attr: Attribute) -> ImportColumn:
    vocab = vocabulary(attr)
    kind = "code" if vocab else attr.type
    return ImportColumn(name, kind, attr.required, vocab, attr.default, attr.references,
                        attr.by_code, attr.min, attr.max,
                        attr.precision[1] if attr.precision else None)


@dataclass(frozen=True)
class LayerSpec:
    """A layer: its table, its SQL, its titles and what can be asked of it."""

    id: str
    title_vi: str
    title_en: str
    description_vi: str
    description_en: str
    geometry_type: str  # MultiPolygon | MultiLineString | Point
    queryables: tuple[Queryable, ...] = ()
    # Temporal extent: a date column, or a (start, end) pair of columns.
    datetime: tuple[str, ...] = ()
    min_zoom: int = 0
    # What `quyhoach import` may write; a layer without import columns is not imported from files.
    import_columns: tuple[ImportColumn, ...] = ()
    unique_key: tuple[str, ...] = ()  # columns that together identify a row
    # What a vector tile's features carry besides their id: the table's columns that style and
    # label it on the map. Amounts, dates and joined names and figures come from the item.
    tile_columns: tuple[str, ...] = ()
    # Who may read the layer (public | staff), and the attributes only staff may read.
    read_access: str = "public"
    staff_attributes: tuple[str, ...] = ()
    entry: Entry | None = field(default=None, compare=False, repr=False)

    def __hash__(self) -> int:
        # Specs key the statement caches of every read: hashing the id, not every field.
        return hash(self.id)

    @property
    def geometry_family(self) -> str:
        """The family of geometries the layer holds: polygon, line or point."""
        return GEOMETRY_FAMILIES[self.geometry_type]

    @property
    def table(self) -> str:
        """Table name (= collection id)."""
        return self.id

    @property
    def measure(self) -> str | None:
        """The ground measure every feature carries: area_ha, length_m or none."""
        return {"MultiPolygon": "area_ha", "MultiLineString": "length_m"}.get(self.geometry_type)

    @property
    def catalog(self) -> Entry:
        """The layer's catalogue entry."""
        assert self.entry is not None
        return self.entry

    def title(self, lang: str) -> str:
        """Title in a language."""
        return self.title_en if lang == "en" else self.title_vi

    def description(self, lang: str) -> str:
        """Description in a language."""
        return self.description_en if lang == "en" else self.description_vi

    def queryable(self, name: str) -> Queryable | None:
        """The queryable of that name, if any."""
        return next((q for q in self.queryables if q.name == name), None)

    def field_label(self, name: str, lang: str) -> str:
        """The reader's label of an attribute (the name itself when the layer has none such)."""
        attr = self.catalog.attributes.get(name)
        return attr.title.pick(lang) if attr else name

    def value_label(self, name: str, value: Any, lang: str) -> str:
        """The reader's word for a coded value (the code itself when unknown)."""
        attr = self.catalog.attributes.get(name)
        words = (attr.values or {}).get(str(value)) if attr else None
        return words.pick(lang) if words else ("" if value is None else str(value))

    def values(self, name: str) -> tuple[str, ...]:
        """The vocabulary of an attribute, in declared order."""
        attr = self.catalog.attributes.get(name)
        return vocabulary(attr) if attr else ()


def spec_of(entry: Entry) -> LayerSpec:
    """The LayerSpec a catalogue entry declares."""
    attrs = entry.attributes
    return LayerSpec(
        id=entry.id, title_vi=entry.title.vi, title_en=entry.title.en,
        description_vi=entry.description.vi, description_en=entry.description.en,
        geometry_type=entry.geometry,
        queryables=tuple(_queryable(n, a) for n, a in attrs.items() if a.queryable),
        datetime=entry.temporal, min_zoom=entry.map.min_zoom,
        import_columns=tuple(_import_column(n, a) for n, a in attrs.items()
                             if entry.importable and a.imported and not a.computed),
        unique_key=entry.unique, tile_columns=entry.tiles, read_access=entry.access,
        staff_attributes=tuple(n for n, a in attrs.items() if a.access == "staff"),
        entry=entry,
    )


def load_layers(extra: Path | None = None) -> dict[str, LayerSpec]:
    """Every layer of the built-in catalogue and of a deployment's own directory."""
    return {e.id: spec_of(e) for e in load_entries(CATALOG_DIR, extra)}


def _startup_layers() -> dict[str, LayerSpec]:
    """The catalogue at start-up; a bad entry stops the service (or command) with its reason."""
    try:
        return load_layers(extra_catalog_dir())
    except CatalogError as exc:
        raise SystemExit(f"error: the layer catalogue: {exc}") from None


LAYERS: dict[str, LayerSpec] = _startup_layers()
