"""The planning layers as data: one LayerSpec per collection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from layers import landuse
from layers import models as m


@dataclass(frozen=True)
class Queryable:
    """An attribute clients may filter on by equality."""

    name: str
    type: str  # JSON schema type: string | integer | boolean | number
    title: str
    enum: tuple[str, ...] = ()


GEOMETRY_FAMILIES = {"MultiPolygon": "polygon", "MultiLineString": "line", "Point": "point"}


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
    style_key: str = field(default="")
    # What `quyhoach import` may write; a layer without import columns is not imported from files.
    import_columns: tuple[ImportColumn, ...] = ()
    unique_key: tuple[str, ...] = ()  # columns that together identify a row
    # What a vector tile's features carry besides their id: the table's columns that style and
    # label it on the map. Amounts, dates and joined names and figures come from the item.
    tile_columns: tuple[str, ...] = ()

    @property
    def geometry_family(self) -> str:
        """The family of geometries the layer holds: polygon, line or point."""
        return GEOMETRY_FAMILIES[self.geometry_type]

    @property
    def table(self) -> str:
        """Table name (= collection id)."""
        return self.id

    @property
    def features_sql(self) -> str:
        """File name of the layer's feature source."""
        return f"{self.id}.features.sql"

    @property
    def measure(self) -> str | None:
        """The ground measure every feature carries: area_ha, length_m or none."""
        return {"MultiPolygon": "area_ha", "MultiLineString": "length_m"}.get(self.geometry_type)

    def title(self, lang: str) -> str:
        """Title in a language."""
        return self.title_en if lang == "en" else self.title_vi

    def queryable(self, name: str) -> Queryable | None:
        """The queryable of that name, if any."""
        return next((q for q in self.queryables if q.name == name), None)


def _q(name: str, type_: str, title: str, enum: tuple[str, ...] = ()) -> Queryable:
    return Queryable(name, type_, title, enum)


def _i(name: str, kind: str = "text", required: bool = False, vocab: tuple[str, ...] = (),
       default: Any = None, references: str | None = None, by_code: str | None = None
       ) -> ImportColumn:
    return ImportColumn(name, kind, required, tuple(vocab), default, references, by_code)


DISTRICT = _q("district", "string", "Quận / District")
IMPORT_DISTRICT = _i("district", "slug", True)

LAYERS: dict[str, LayerSpec] = {
    spec.id: spec
    for spec in (
        LayerSpec(
            "projects", "Dự án giải phóng mặt bằng", "Site-clearance projects",
            "Ranh giới các dự án GPMB, nguồn vốn, tiến độ và kết quả thu hồi đất.",
            "Boundaries of site-clearance projects, funding, schedule and land recovered.",
            "MultiPolygon",
            (_q("code", "string", "Mã dự án / Code"), DISTRICT,
             _q("funding", "string", "Nguồn vốn / Funding", m.FUNDING),
             _q("status", "string", "Trạng thái / Status", m.PROJECT_STATUSES),
             _q("is_key", "boolean", "Dự án trọng điểm / Key project"),
             _q("has_complaints", "boolean", "Có đơn thư / Has complaints")),
            ("started_on", "completed_on"),
            import_columns=(
                _i("code", required=True), _i("name", required=True), IMPORT_DISTRICT,
                _i("funding", "code", True, m.FUNDING),
                _i("is_key", "boolean", default=False),
                _i("has_complaints", "boolean", default=False),
                _i("status", "code", True, m.PROJECT_STATUSES),
                _i("started_on", "date"), _i("target_date", "date"), _i("completed_on", "date")),
            unique_key=("code",),
            tile_columns=("code", "status"),
        ),
        LayerSpec(
            "parcels", "Thửa đất thu hồi (phương án bồi thường)", "Parcels (compensation plans)",
            "Mỗi phương án bồi thường, hỗ trợ của một người sử dụng đất trên một thửa.",
            "One compensation plan per land user and parcel.",
            "MultiPolygon",
            (_q("code", "string", "Mã phương án / Code"),
             _q("project_id", "integer", "Dự án / Project"),
             _q("project_code", "string", "Mã dự án / Project code"), DISTRICT,
             _q("land_user_kind", "string", "Đối tượng / Land user", m.LAND_USER_KINDS),
             _q("status", "string", "Trạng thái / Status", m.PLAN_STATUSES)),
            ("approved_on",),
            min_zoom=14,
            import_columns=(
                _i("code", required=True),
                _i("project_id", "integer", True, references="projects", by_code="project_code"),
                _i("land_user_kind", "code", True, m.LAND_USER_KINDS),
                _i("status", "code", True, m.PLAN_STATUSES),
                _i("drafted_on", "date"), _i("published_on", "date"), _i("approved_on", "date"),
                _i("paid_on", "date"), _i("handed_over_on", "date"),
                _i("compensation_vnd", "numeric", default=0)),
            unique_key=("code",),
            tile_columns=("code", "status"),
        ),
        LayerSpec(
            "red_lines", "Chỉ giới đường đỏ", "Red lines",
            "Chỉ giới đường đỏ theo quy hoạch được duyệt.",
            "Red lines of the approved plans.",
            "MultiLineString",
            (DISTRICT, _q("road", "string", "Tuyến đường / Road")),
            import_columns=(IMPORT_DISTRICT, _i("road", required=True), _i("plan_ref")),
            tile_columns=("road",),
        ),
        LayerSpec(
            "red_line_markers", "Mốc chỉ giới đường đỏ", "Red-line markers",
            "Mốc chỉ giới đường đỏ đã cắm, với tọa độ VN-2000 như khi đo.",
            "Surveyed red-line markers with their VN-2000 coordinates as recorded.",
            "Point",
            (_q("code", "string", "Số hiệu mốc / Code"), DISTRICT,
             _q("road", "string", "Tuyến đường / Road"),
             _q("status", "string", "Trạng thái / Status", m.MARKER_STATUSES)),
            ("surveyed_on",),
            import_columns=(
                _i("code", required=True), IMPORT_DISTRICT, _i("road", required=True),
                _i("red_line_id", "integer", references="red_lines"),
                _i("status", "code", True, m.MARKER_STATUSES), _i("surveyed_on", "date")),
            unique_key=("code",),
            tile_columns=("code", "status"),
        ),
        LayerSpec(
            "lakes", "Hồ, ao", "Lakes and ponds",
            "Hồ, ao và công trình cải tạo, nạo vét, kè.",
            "Lakes and ponds with their renovation, dredging or embankment works.",
            "MultiPolygon",
            (_q("name", "string", "Tên hồ / Name"), DISTRICT,
             _q("works", "string", "Hạng mục / Works", m.LAKE_WORKS),
             _q("status", "string", "Trạng thái / Status", m.LAKE_STATUSES)),
            ("completed_on",),
            import_columns=(
                _i("name", required=True), IMPORT_DISTRICT, _i("works", "code", True, m.LAKE_WORKS),
                _i("status", "code", True, m.LAKE_STATUSES), _i("completed_on", "date")),
            tile_columns=("name", "works"),
        ),
        LayerSpec(
            "civilized_streets", "Tuyến phố văn minh đô thị", "Civilized streets",
            "Tuyến phố văn minh đô thị và tuyến phố cấm để xe, cấm bán hàng rong.",
            "Civilized streets and no-parking / no-street-vending streets.",
            "MultiLineString",
            (_q("name", "string", "Tên phố / Name"), DISTRICT,
             _q("ward", "string", "Phường / Ward"),
             _q("kind", "string", "Loại / Kind", m.STREET_KINDS),
             _q("status", "string", "Trạng thái / Status", m.STREET_STATUSES),
             _q("year_recognised", "integer", "Năm công nhận / Year recognised")),
            import_columns=(
                _i("name", required=True), IMPORT_DISTRICT, _i("ward"),
                _i("kind", "code", True, m.STREET_KINDS), _i("year_recognised", "integer"),
                _i("status", "code", True, m.STREET_STATUSES)),
            tile_columns=("name", "kind", "status"),
        ),
        LayerSpec(
            "wards", "Phường", "Wards",
            "Ranh giới hành chính các phường.", "Ward boundaries.",
            "MultiPolygon",
            (DISTRICT, _q("name", "string", "Tên phường / Name")),
            import_columns=(IMPORT_DISTRICT, _i("name", required=True)),
            unique_key=("district", "name"),
            tile_columns=("name",),
        ),
        LayerSpec(
            "plan_zones", "Quy hoạch sử dụng đất 1/2000", "Planned land use (1/2000 zoning plans)",
            "Các khu đất của quy hoạch phân khu 1/2000 được duyệt: chức năng sử dụng đất, mật độ "
            "xây dựng, tầng cao, hệ số sử dụng đất.",
            "Zones of the approved 1/2000 zoning plans: land use, building density, height and "
            "floor-area ratio.",
            "MultiPolygon",
            (_q("plan_id", "integer", "Quy hoạch / Plan"),
             _q("code", "string", "Mã đất / Land-use code", landuse.CODES),
             _q("name", "string", "Ký hiệu lô / Plot label")),
            tile_columns=("code", "name"),
        ),
    )
}
