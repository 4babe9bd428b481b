-- One zoning plan: metadata, georeference report, footprint (CRS84) and its zones by land use.
SELECT json_build_object(
  'type', 'Feature',
  'id', p.id,
  'geometry', ST_AsGeoJSON(ST_Transform(p.footprint, 4326), 7)::json,
  'properties', json_build_object(
    'name', p.name, 'decision', p.decision, 'approved_on', p.approved_on, 'scale', p.scale,
    'kind', p.kind, 'source_format', p.source_format, 'source_name', p.source_name,
    'source_crs', p.source_crs, 'area_ha', round((p.area_m2 / 10000)::numeric, 4),
    'is_sample', p.is_sample, 'created_at', p.created_at, 'georef', p.georef,
    'bounds_vn2000', json_build_array(round(ST_XMin(p.footprint)::numeric, 3),
                                      round(ST_YMin(p.footprint)::numeric, 3),
                                      round(ST_XMax(p.footprint)::numeric, 3),
                                      round(ST_YMax(p.footprint)::numeric, 3)),
    'tiles', CASE WHEN p.kind = 'raster' THEN '/plans/' || p.id || '/tiles/{z}/{x}/{y}.png' END,
    'zones_url', CASE WHEN p.kind = 'vector'
                      THEN '/collections/plan_zones/items?plan_id=' || p.id END,
    'labels', (SELECT count(*) FROM plan_labels l WHERE l.plan_id = p.id),
    'land_uses', (
      SELECT coalesce(json_agg(json_build_object(
               'code', s.code, 'name_vi', s.name_vi, 'name_en', s.name_en, 'color', s.color,
               'zones', s.zones, 'area_ha', round((s.m2 / 10000)::numeric, 4))
             ORDER BY s.sort_order), '[]'::json)
      FROM (SELECT u.code, u.name_vi, u.name_en, u.color, u.sort_order, count(*) AS zones,
                   sum(z.area_m2) AS m2
            FROM plan_zones z JOIN land_uses u ON u.code = z.code
            WHERE z.plan_id = p.id
            GROUP BY u.code) s)
  )
)::text
FROM plans p
WHERE p.id = :plan_id;
