-- What must be recovered from whom in a corridor (:geom, EWKB hex in 5897): each parcel's ground
-- area (ellipsoid) inside it, largest first, with its project and land user, and the totals.
WITH c AS (SELECT ST_GeomFromEWKB(decode(CAST(:geom AS text), 'hex')) AS g),
hits AS (
  SELECT pa.id, pa.code, pa.land_user_kind, pa.status, pa.area_m2, pr.id AS project_id,
         pr.code AS project_code, pr.name AS project_name,
         ST_Area(ST_Transform(ST_CollectionExtract(ST_Intersection(pa.geom, c.g), 3), 4326)::geography)
           AS inside_m2
  FROM parcels pa JOIN projects pr ON pr.id = pa.project_id, c
  WHERE pa.geom && c.g AND ST_Intersects(pa.geom, c.g)
),
kept AS (SELECT * FROM hits WHERE inside_m2 > 0.005)
SELECT json_build_object(
  'corridor_ha', round((ST_Area(ST_Transform(c.g, 4326)::geography) / 10000)::numeric, 4),
  'parcels_count', (SELECT count(*) FROM kept),
  'inside_ha', (SELECT round((coalesce(sum(inside_m2), 0) / 10000)::numeric, 4) FROM kept),
  'by_land_user', (
    SELECT coalesce(json_object_agg(k.land_user_kind, k.ha), '{}'::json)
    FROM (SELECT land_user_kind, round((sum(inside_m2) / 10000)::numeric, 4) AS ha
          FROM kept GROUP BY land_user_kind) k),
  'parcels', (
    SELECT coalesce(json_agg(json_build_object(
             'id', k.id, 'code', k.code, 'project_id', k.project_id,
             'project_code', k.project_code, 'project_name', k.project_name,
             'land_user_kind', k.land_user_kind, 'status', k.status,
             'area_m2', round(k.area_m2::numeric, 2),
             'inside_m2', round(k.inside_m2::numeric, 2),
             'inside_pct', round((100 * k.inside_m2 / nullif(k.area_m2, 0))::numeric, 2))
           ORDER BY k.inside_m2 DESC, k.code), '[]'::json)
    FROM kept k)
)::text
FROM c;
