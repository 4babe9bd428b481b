-- The district's wards and the given projects for the report's map figure: outlines simplified
-- to 2 m, in VN-2000 metres (EPSG:5897), the planners' grid.
SELECT json_build_object(
  'wards', (SELECT coalesce(json_agg(json_build_object(
                     'name', w.name,
                     'geom', ST_AsGeoJSON(ST_SimplifyPreserveTopology(w.geom, 2), 1)::json,
                     'label', ST_AsGeoJSON(ST_PointOnSurface(w.geom), 1)::json) ORDER BY w.name),
                   '[]'::json)
            FROM wards w WHERE w.district = :district),
  'projects', (SELECT coalesce(json_agg(json_build_object(
                        'id', p.id, 'geom', ST_AsGeoJSON(p.geom, 1)::json) ORDER BY p.id),
                      '[]'::json)
               FROM projects p WHERE p.id = ANY(CAST(:ids AS integer[])))
)::text
