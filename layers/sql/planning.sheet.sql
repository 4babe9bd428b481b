-- The planning information of one parcel (:parcel_id): the parcel and its cadastral reference;
-- the administrative units holding its point on surface, today's and former ones, with their
-- validity (the wards, undated, while admin_units is empty); the 1/2000 zones it overlaps with
-- the ground area (WGS 84 ellipsoid) of each overlap; its clearance project and the
-- compensation plans on it (interiors intersecting), with only the attributes in :visible;
-- the plans (decisions) its zones and sheets come from. No row when the parcel does not exist.
WITH pa AS (
  SELECT p.*, ST_PointOnSurface(p.geom) AS pos FROM parcels p WHERE p.id = :parcel_id
),
units AS (
  SELECT u.id, u.level, u.name, u.parent_id, u.valid_from, u.valid_to,
         coalesce(u.valid_to >= current_date, true) AS current
  FROM admin_units u, pa
  WHERE u.geom && pa.pos AND ST_Intersects(u.geom, pa.pos)
  UNION ALL
  SELECT w.id::text, 'ward', w.name, w.district, NULL, NULL, true
  FROM wards w, pa
  WHERE NOT EXISTS (SELECT 1 FROM admin_units)
    AND w.geom && pa.pos AND ST_Intersects(w.geom, pa.pos)
),
zones AS (
  SELECT z.id, z.plan_id, z.code, lu.name_vi, lu.name_en, lu.color, z.name,
         z.building_density_pct, z.max_floors, z.floor_area_ratio,
         ST_Area(ST_Transform(ST_CollectionExtract(ST_Intersection(z.geom, pa.geom), 3), 4326)::geography)
           AS m2
  FROM plan_zones z JOIN land_uses lu ON lu.code = z.code, pa
  WHERE z.geom && pa.geom AND ST_Intersects(z.geom, pa.geom)
),
kept AS (SELECT * FROM zones WHERE m2 > 0.005),
sheets AS (
  SELECT p.id FROM plans p, pa WHERE p.footprint && pa.geom AND ST_Intersects(p.footprint, pa.geom)
),
plans_on AS (
  SELECT o.id, to_jsonb(o) || jsonb_build_object('area_m2', round(o.area_m2::numeric, 2)) AS doc
  FROM parcels o, pa
  WHERE o.geom && pa.geom AND ST_Relate(o.geom, pa.geom, '2********')
)
SELECT json_build_object(
  'parcel', json_build_object(
    'id', pa.id, 'code', pa.code, 'map_sheet', pa.map_sheet, 'parcel_no', pa.parcel_no,
    'ref', CASE WHEN pa.map_sheet IS NOT NULL THEN pa.map_sheet || '-' || pa.parcel_no END,
    'address', pa.address, 'area_m2', round(pa.area_m2::numeric, 2),
    'point', json_build_array(round(ST_X(ST_Transform(pa.pos, 4326))::numeric, 7),
                              round(ST_Y(ST_Transform(pa.pos, 4326))::numeric, 7)),
    'extent', (SELECT json_build_array(round(ST_XMin(b)::numeric, 7), round(ST_YMin(b)::numeric, 7),
                                       round(ST_XMax(b)::numeric, 7), round(ST_YMax(b)::numeric, 7))
               FROM (SELECT box2d(ST_Transform(pa.geom, 4326)) AS b) e)),
  'units', json_build_object(
    'current', (SELECT coalesce(json_agg(json_build_object(
                  'id', u.id, 'level', u.level, 'name', u.name, 'parent_id', u.parent_id,
                  'valid_from', u.valid_from, 'valid_to', u.valid_to)
                ORDER BY array_position(ARRAY['city', 'district', 'ward', 'commune'], u.level),
                         u.valid_from, u.id), '[]'::json)
                FROM units u WHERE u.current),
    'former', (SELECT coalesce(json_agg(json_build_object(
                 'id', u.id, 'level', u.level, 'name', u.name, 'parent_id', u.parent_id,
                 'valid_from', u.valid_from, 'valid_to', u.valid_to)
               ORDER BY u.valid_to DESC, array_position(ARRAY['city', 'district', 'ward', 'commune'], u.level),
                        u.id), '[]'::json)
               FROM units u WHERE NOT u.current)),
  'zones', (SELECT coalesce(json_agg(json_build_object(
              'id', k.id, 'plan_id', k.plan_id, 'code', k.code, 'land_use_vi', k.name_vi,
              'land_use_en', k.name_en, 'color', k.color, 'name', k.name,
              'building_density_pct', k.building_density_pct, 'max_floors', k.max_floors,
              'floor_area_ratio', k.floor_area_ratio,
              'area_m2', round(k.m2::numeric, 2),
              'share_pct', round((100 * k.m2 / nullif(pa.area_m2, 0))::numeric, 2))
            ORDER BY k.plan_id, k.m2 DESC, k.id), '[]'::json)
            FROM kept k),
  'clearance', (
    SELECT json_build_object(
      'project', json_build_object(
        'id', pr.id, 'code', pr.code, 'name', pr.name, 'district', pr.district, 'status', pr.status,
        'funding', pr.funding, 'started_on', pr.started_on, 'target_date', pr.target_date,
        'completed_on', pr.completed_on),
      'plans', (SELECT coalesce(json_agg(v.doc ORDER BY v.id), '[]'::json)
                FROM (SELECT o.id, (SELECT jsonb_object_agg(e.key, e.value)
                                    FROM jsonb_each(o.doc) e
                                    WHERE e.key = ANY (CAST(:visible AS text[]))) AS doc
                      FROM plans_on o) v))
    FROM projects pr WHERE pr.id = pa.project_id),
  'sources', (SELECT coalesce(json_agg(json_build_object(
                'id', p.id, 'name', p.name, 'decision', p.decision, 'approved_on', p.approved_on,
                'scale', p.scale, 'kind', p.kind)
              ORDER BY p.approved_on DESC NULLS LAST, p.id), '[]'::json)
              FROM plans p
              WHERE p.id IN (SELECT plan_id FROM kept UNION SELECT id FROM sheets))
)::text
FROM pa;
