-- What is planned at a point: the zones containing it (smallest first, newest plan first), the
-- plan sheets covering it, and the red line nearest to it with its distance in VN-2000 metres.
WITH pt AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), CAST(:srid AS integer)), CAST(:storage_srid AS integer)) AS g)
SELECT json_build_object(
  'point', json_build_object(
    'lon', round(ST_X(ST_Transform(pt.g, 4326))::numeric, 7),
    'lat', round(ST_Y(ST_Transform(pt.g, 4326))::numeric, 7),
    'x', round(ST_X(pt.g)::numeric, 3), 'y', round(ST_Y(pt.g)::numeric, 3)),
  'zones', (
    SELECT coalesce(json_agg(json_build_object(
             'id', z.id, 'code', z.code, 'land_use_vi', u.name_vi, 'land_use_en', u.name_en,
             'color', u.color, 'name', z.name, 'building_density_pct', z.building_density_pct,
             'max_floors', z.max_floors, 'floor_area_ratio', z.floor_area_ratio,
             'area_ha', round((z.area_m2 / 10000)::numeric, 4),
             'plan', json_build_object('id', p.id, 'name', p.name, 'decision', p.decision,
                                       'approved_on', p.approved_on, 'scale', p.scale))
           ORDER BY p.approved_on DESC NULLS LAST, p.id DESC, z.area_m2), '[]'::json)
    FROM plan_zones z
    JOIN plans p ON p.id = z.plan_id
    JOIN land_uses u ON u.code = z.code
    WHERE ST_Intersects(z.geom, pt.g)),
  'sheets', (
    SELECT coalesce(json_agg(json_build_object(
             'id', p.id, 'name', p.name, 'decision', p.decision, 'approved_on', p.approved_on,
             'scale', p.scale, 'source_format', p.source_format)
           ORDER BY p.approved_on DESC NULLS LAST, p.id DESC), '[]'::json)
    FROM plans p
    WHERE p.kind = 'raster' AND ST_Intersects(p.footprint, pt.g)),
  'red_line', (
    SELECT json_build_object('id', l.id, 'road', l.road, 'district', l.district,
                             'plan_ref', l.plan_ref,
                             'distance_m', round(ST_Distance(l.geom, pt.g)::numeric, 2))
    FROM red_lines l
    ORDER BY l.geom <-> pt.g
    LIMIT 1)
)::text
FROM pt;
