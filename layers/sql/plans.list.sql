-- The zoning plans with their metadata and footprint (CRS84), newest approval first.
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', coalesce(json_agg(json_build_object(
     'type', 'Feature',
     'id', f.id,
     'geometry', ST_AsGeoJSON(ST_Transform(f.footprint, 4326), 7)::json,
     'properties', json_build_object(
       'name', f.name, 'decision', f.decision, 'approved_on', f.approved_on, 'scale', f.scale,
       'kind', f.kind, 'source_format', f.source_format, 'source_name', f.source_name,
       'source_crs', f.source_crs, 'area_ha', round((f.area_m2 / 10000)::numeric, 4),
       'zones', f.zones, 'rms_m', f.georef -> 'rms_m', 'is_sample', f.is_sample,
       'created_at', f.created_at,
       'tiles', CASE WHEN f.kind = 'raster' THEN '/plans/' || f.id || '/tiles/{z}/{x}/{y}.png' END,
       'zones_url', CASE WHEN f.kind = 'vector'
                         THEN '/collections/plan_zones/items?plan_id=' || f.id END)
   ) ORDER BY f.approved_on DESC NULLS LAST, f.id), '[]'::json)
)::text
FROM (
  SELECT p.*, (SELECT count(*) FROM plan_zones z WHERE z.plan_id = p.id) AS zones
  FROM plans p
) f;
