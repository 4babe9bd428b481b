-- A feature as the audit log keeps it: its stored columns but the geometry as `properties`, and
-- the geometry as GeoJSON in the storage grid (EPSG:5897), at full precision.
-- The marked places are filled from the registry (identifiers only): table and geometry column.
SELECT jsonb_build_object(
  'properties', to_jsonb(t) - '/*geom*/',
  'geometry', ST_AsGeoJSON(t./*geom*/, 9)::jsonb,
  'crs', 'EPSG:5897'
)::text
FROM /*table*/ t
WHERE t.id = :id;
