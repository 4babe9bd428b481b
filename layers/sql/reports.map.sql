-- The unit's wards (its parts of the same time, or the unit alone when it has none) and the
-- given projects for the report's map figure: outlines simplified to 2 m, in VN-2000 metres
-- (EPSG:5897), the planners' grid.
SELECT json_build_object(
  'wards', (SELECT coalesce(json_agg(json_build_object(
                     'name', w.name,
                     'geom', ST_AsGeoJSON(ST_SimplifyPreserveTopology(w.geom, 2), 1)::json,
                     'label', ST_AsGeoJSON(ST_PointOnSurface(w.geom), 1)::json) ORDER BY w.name COLLATE "vi-x-icu"),
                   '[]'::json)
            FROM (SELECT c.name, c.geom FROM admin_units c JOIN admin_units u ON u.id = c.parent_id
                  WHERE u.id = :district AND c.valid_from <= coalesce(u.valid_to, 'infinity')
                    AND coalesce(c.valid_to, 'infinity') >= u.valid_from
                  UNION ALL
                  SELECT u.name, u.geom FROM admin_units u
                  WHERE u.id = :district
                    AND NOT EXISTS (SELECT 1 FROM admin_units c WHERE c.parent_id = u.id)) w),
  'projects', (SELECT coalesce(json_agg(json_build_object(
                        'id', p.id, 'geom', ST_AsGeoJSON(p.geom, 1)::json) ORDER BY p.id),
                      '[]'::json)
               FROM projects p WHERE p.id = ANY(CAST(:ids AS integer[])))
)::text
