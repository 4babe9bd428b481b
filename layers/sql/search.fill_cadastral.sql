-- The sample's cadastral references and addresses, derived from the geometry so that every load
-- gives the same ones: one map sheet per :cell metres square of the VN-2000 grid (numbered from
-- the north-west, row by row), parcels numbered within their sheet the same way, and an address
-- on the nearest street of the parcel's district, numbered along that street, in its ward.
WITH pos AS (
  SELECT pa.id, pr.district, ST_PointOnSurface(pa.geom) AS pt
  FROM parcels pa JOIN projects pr ON pr.id = pa.project_id
),
cells AS (
  SELECT p.*, floor(ST_Y(p.pt) / :cell)::bigint AS cell_row,
         floor(ST_X(p.pt) / :cell)::bigint AS cell_col
  FROM pos p
),
sheets AS (
  SELECT c.*,
         dense_rank() OVER (ORDER BY c.cell_row DESC, c.cell_col) AS sheet,
         row_number() OVER (PARTITION BY c.cell_row, c.cell_col
                            ORDER BY round(ST_Y(c.pt)) DESC, ST_X(c.pt), c.id) AS no
  FROM cells c
),
placed AS (
  SELECT s.id, s.sheet, s.no, st.name AS street, w.name AS ward,
         row_number() OVER (PARTITION BY st.id
                            ORDER BY ST_LineLocatePoint(ST_GeometryN(st.geom, 1), s.pt), s.id)
           AS house
  FROM sheets s
  LEFT JOIN LATERAL (
    SELECT cs.id, cs.name, cs.geom FROM civilized_streets cs
    WHERE cs.district = s.district
    ORDER BY cs.geom <-> s.pt, cs.id
    LIMIT 1) st ON true
  LEFT JOIN LATERAL (
    SELECT wa.name FROM wards wa
    WHERE wa.district = s.district AND ST_Intersects(wa.geom, s.pt)
    ORDER BY wa.id
    LIMIT 1) w ON true
)
UPDATE parcels pa
SET map_sheet = p.sheet, parcel_no = p.no,
    address = CASE WHEN p.street IS NOT NULL
                   THEN concat_ws(', ', 'Số ' || p.house || ' ' || p.street, 'phường ' || p.ward)
              END
FROM placed p
WHERE p.id = pa.id;
