-- The outlines of the units below the city valid on a day (valid_to inclusive), as GeoJSON in
-- lon/lat: lines, not areas, so that they draw over the other layers without hiding them.
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(json_build_object(
    'type', 'Feature', 'id', u.id,
    'geometry', ST_AsGeoJSON(ST_Transform(ST_Boundary(u.geom), 4326), 6)::json,
    'properties', json_build_object(
      'id', u.id, 'level', u.level, 'name', u.name, 'parent_id', u.parent_id,
      'valid_from', u.valid_from, 'valid_to', u.valid_to))
    ORDER BY array_position(ARRAY['district', 'ward', 'commune'], u.level), u.id), '[]'::json)
)::text
FROM admin_units u
WHERE u.level IN ('district', 'ward', 'commune')
  AND u.valid_from <= CAST(:on AS date)
  AND (u.valid_to IS NULL OR u.valid_to >= CAST(:on AS date));
