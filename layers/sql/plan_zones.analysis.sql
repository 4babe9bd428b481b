-- Planned land use inside an area: a posted polygon (:geom, EWKB hex in 5897), a project or a
-- parcel (by id or code). For each plan with zones there, the ground area (ellipsoid) of each land
-- use inside the area. No row when the project or parcel does not exist.
WITH a AS (
  SELECT * FROM (
    SELECT 'polygon' AS kind, NULL::integer AS id, NULL::text AS code, NULL::text AS name,
           ST_GeomFromEWKB(decode(CAST(:geom AS text), 'hex')) AS g
    WHERE CAST(:geom AS text) IS NOT NULL
    UNION ALL
    SELECT 'project', p.id, p.code, p.name, p.geom FROM projects p
    WHERE p.id::text = CAST(:project AS text) OR p.code = CAST(:project AS text)
    UNION ALL
    SELECT 'parcel', pa.id, pa.code, pr.name, pa.geom
    FROM parcels pa JOIN projects pr ON pr.id = pa.project_id
    WHERE pa.id::text = CAST(:parcel AS text) OR pa.code = CAST(:parcel AS text)
  ) s
  LIMIT 1
),
cut AS (
  SELECT z.plan_id, z.code,
         ST_Area(ST_Transform(ST_CollectionExtract(ST_Intersection(z.geom, a.g), 3), 4326)::geography)
           AS m2
  FROM plan_zones z, a
  WHERE z.geom && a.g AND ST_Intersects(z.geom, a.g)
    AND (CAST(:plan_id AS integer) IS NULL OR z.plan_id = CAST(:plan_id AS integer))
),
by_use AS (
  SELECT c.plan_id, c.code, sum(c.m2) AS m2 FROM cut c GROUP BY c.plan_id, c.code
  HAVING sum(c.m2) > 0.005
),
area AS (SELECT ST_Area(ST_Transform(a.g, 4326)::geography) AS m2 FROM a)
SELECT json_build_object(
  'subject', json_build_object('kind', a.kind, 'id', a.id, 'code', a.code, 'name', a.name),
  'area_ha', round((area.m2 / 10000)::numeric, 4),
  'plans', (
    SELECT coalesce(json_agg(json_build_object(
             'id', p.id, 'name', p.name, 'decision', p.decision, 'approved_on', p.approved_on,
             'zoned_ha', round((t.m2 / 10000)::numeric, 4),
             'land_uses', t.uses)
           ORDER BY p.approved_on DESC NULLS LAST, p.id), '[]'::json)
    FROM (
      SELECT b.plan_id, sum(b.m2) AS m2,
             json_agg(json_build_object(
               'code', b.code, 'name_vi', u.name_vi, 'name_en', u.name_en, 'color', u.color,
               'area_ha', round((b.m2 / 10000)::numeric, 4),
               'share_pct', round((100 * b.m2 / nullif(area.m2, 0))::numeric, 2))
             ORDER BY b.m2 DESC) AS uses
      FROM by_use b JOIN land_uses u ON u.code = b.code
      GROUP BY b.plan_id
    ) t
    JOIN plans p ON p.id = t.plan_id)
)::text
FROM a, area;
