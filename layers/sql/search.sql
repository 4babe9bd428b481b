-- Search by name, code, address or cadastral reference, accent- and case-insensitive.
-- Candidates come from the trigram indexes on search_fold(...) of each table: names and addresses
-- by substring, whole or word similarity; codes, which resemble each other by design, by
-- substring only. Each is scored on its best key: exact 3, prefix 2, otherwise 1, plus its
-- trigram similarity (0..1), so an exact name always outranks a prefix, and a prefix any other
-- match. A parcel whose cadastral reference is the one asked (sheet and parcel_no) scores 5.
-- Units come from admin_units; while that table is empty, from the wards.
-- Words come bound in levels: each unit level's word, and "ref" ("... {sheet} ... {parcel} ...").
WITH q AS MATERIALIZED (
  SELECT s.f,
         '%' || replace(replace(replace(s.f, '\', '\\'), '%', '\%'), '_', '\_') || '%' AS pattern,
         CAST(:sheet AS integer) AS sheet, CAST(:parcel_no AS integer) AS parcel_no,
         CAST(:levels AS jsonb) AS levels
  FROM (SELECT search_fold(CAST(:q AS text)) AS f) s
),
cand AS (
  SELECT 1 AS prio, 'admin_units' AS collection, u.id, (q.levels ->> u.level) || ' ' || u.name AS label,
         (q.levels ->> pu.level) || ' ' || pu.name AS detail, ARRAY[search_fold(u.name)] AS keys,
         false AS ref_match, coalesce(u.valid_to >= current_date, true) AS current, u.geom,
         json_build_object('level', u.level, 'valid_from', u.valid_from, 'valid_to', u.valid_to)
           AS extra
  FROM admin_units u CROSS JOIN q LEFT JOIN admin_units pu ON pu.id = u.parent_id
  WHERE search_fold(u.name) LIKE q.pattern OR search_fold(u.name) % q.f
     OR search_fold(u.name) %> q.f
  UNION ALL
  SELECT 1, 'wards', w.id::text, (q.levels ->> 'ward') || ' ' || w.name, NULL,
         ARRAY[search_fold(w.name)], false, true, w.geom, json_build_object('district', w.district)
  FROM wards w CROSS JOIN q
  WHERE NOT EXISTS (SELECT 1 FROM admin_units)
    AND (search_fold(w.name) LIKE q.pattern OR search_fold(w.name) % q.f
         OR search_fold(w.name) %> q.f)
  UNION ALL
  SELECT 2, 'projects', p.id::text, p.code || ' — ' || p.name, NULL,
         ARRAY[search_fold(p.code), search_fold(p.name)], false, true, p.geom,
         json_build_object('code', p.code)
  FROM projects p CROSS JOIN q
  WHERE search_fold(p.code) LIKE q.pattern
     OR search_fold(p.name) LIKE q.pattern OR search_fold(p.name) % q.f
     OR search_fold(p.name) %> q.f
  UNION ALL
  SELECT 3, 'parcels', pa.id::text,
         CASE WHEN pa.map_sheet IS NULL THEN pa.code
              ELSE replace(replace(q.levels ->> 'ref', '{sheet}', pa.map_sheet::text),
                           '{parcel}', pa.parcel_no::text) || ' (' || pa.code || ')' END,
         pa.address, ARRAY[search_fold(pa.code), search_fold(pa.address)],
         coalesce(pa.map_sheet = q.sheet AND pa.parcel_no = q.parcel_no, false), true, pa.geom,
         json_build_object('code', pa.code, 'map_sheet', pa.map_sheet, 'parcel_no', pa.parcel_no)
  FROM parcels pa CROSS JOIN q
  WHERE (pa.map_sheet = q.sheet AND pa.parcel_no = q.parcel_no)
     OR search_fold(pa.code) LIKE q.pattern
     OR search_fold(pa.address) LIKE q.pattern OR search_fold(pa.address) %> q.f
  UNION ALL
  SELECT 4, 'civilized_streets', s.id::text, s.name,
         CASE WHEN s.ward IS NOT NULL THEN (q.levels ->> 'ward') || ' ' || s.ward END,
         ARRAY[search_fold(s.name)], false, true, s.geom, NULL
  FROM civilized_streets s CROSS JOIN q
  WHERE search_fold(s.name) LIKE q.pattern OR search_fold(s.name) % q.f
     OR search_fold(s.name) %> q.f
  UNION ALL
  SELECT 5, 'lakes', l.id::text, l.name, NULL, ARRAY[search_fold(l.name)], false, true, l.geom,
         NULL
  FROM lakes l CROSS JOIN q
  WHERE search_fold(l.name) LIKE q.pattern OR search_fold(l.name) % q.f
     OR search_fold(l.name) %> q.f
  UNION ALL
  SELECT 6, 'red_lines', r.id::text, r.road, r.plan_ref, ARRAY[search_fold(r.road)], false, true,
         r.geom, NULL
  FROM red_lines r CROSS JOIN q
  WHERE search_fold(r.road) LIKE q.pattern OR search_fold(r.road) % q.f
     OR search_fold(r.road) %> q.f
  UNION ALL
  SELECT 7, 'plan_zones', z.id::text, z.name || ' (' || z.code || ')', pl.name,
         ARRAY[search_fold(z.name)], false, true, z.geom,
         json_build_object('code', z.code, 'plan_id', z.plan_id)
  FROM plan_zones z CROSS JOIN q JOIN plans pl ON pl.id = z.plan_id
  WHERE search_fold(z.name) LIKE q.pattern OR search_fold(z.name) % q.f
     OR search_fold(z.name) %> q.f
),
scored AS (
  SELECT c.*,
         CASE WHEN c.ref_match THEN 5 ELSE (
           SELECT max(CASE WHEN k = q.f THEN 3 WHEN starts_with(k, q.f) THEN 2 ELSE 1 END
                      + greatest(similarity(k, q.f), word_similarity(q.f, k)))
           FROM unnest(c.keys) k WHERE k IS NOT NULL) END AS score
  FROM cand c CROSS JOIN q
),
top AS (
  SELECT * FROM scored
  ORDER BY score DESC, prio, current DESC, label, id
  LIMIT CAST(:limit AS integer)
)
SELECT coalesce(json_agg(json_build_object(
         'collection', t.collection, 'id', t.id, 'label', t.label, 'detail', t.detail,
         'score', round(t.score::numeric, 3),
         'extent', json_build_array(round(ST_XMin(b.box)::numeric, 7),
                                    round(ST_YMin(b.box)::numeric, 7),
                                    round(ST_XMax(b.box)::numeric, 7),
                                    round(ST_YMax(b.box)::numeric, 7)),
         'properties', t.extra)
       ORDER BY t.score DESC, t.prio, t.current DESC, t.label, t.id), '[]'::json)::text
FROM top t
CROSS JOIN LATERAL (SELECT box2d(ST_Transform(t.geom, 4326)) AS box) b;
