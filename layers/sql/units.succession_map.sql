-- A unit with the units it came from and went to, as GeoJSON in lon/lat for the succession page.
-- unit_share: the share of this unit's area that the related unit gave it (a predecessor) or took
-- from it (a successor); other_share: the same shared area as a share of the related unit's own.
WITH related AS (
  SELECT 'unit' AS role, u.id, NULL::boolean AS whole, 1.0::float8 AS unit_share,
         1.0::float8 AS other_share, u.area_m2 AS shared_m2
  FROM admin_units u
  WHERE u.id = :id
  UNION ALL
  SELECT 'predecessor', s.predecessor_id, s.whole, s.successor_share, s.predecessor_share,
         s.shared_m2
  FROM unit_succession_shares s
  WHERE s.successor_id = :id
  UNION ALL
  SELECT 'successor', s.successor_id, s.whole, s.predecessor_share, s.successor_share, s.shared_m2
  FROM unit_succession_shares s
  WHERE s.predecessor_id = :id
)
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(json_build_object(
    'type', 'Feature', 'id', a.id,
    'geometry', ST_AsGeoJSON(ST_Transform(a.geom, 4326), 6)::json,
    'properties', json_build_object(
      'id', a.id, 'role', r.role, 'level', a.level, 'name', a.name, 'parent_id', a.parent_id,
      'valid_from', a.valid_from, 'valid_to', a.valid_to, 'whole', r.whole,
      'unit_share', r.unit_share, 'other_share', r.other_share,
      'shared_ha', round((r.shared_m2 / 10000)::numeric, 2)::float8,
      'area_ha', round((a.area_m2 / 10000)::numeric, 2)::float8))
    ORDER BY r.role <> 'unit', r.role,
             array_position(ARRAY['city', 'district', 'ward', 'commune'], a.level),
             a.name COLLATE "vi-x-icu", a.id), '[]'::json)
)::text
FROM related r
JOIN admin_units a ON a.id = r.id;
