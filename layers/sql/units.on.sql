-- The administrative units valid on a day (valid_to is inclusive), with their lon/lat extent.
SELECT u.id, u.level, u.name, u.parent_id, u.valid_from, u.valid_to,
       round((u.area_m2 / 10000)::numeric, 2)::float8 AS area_ha,
       ST_XMin(e.box) AS w, ST_YMin(e.box) AS s, ST_XMax(e.box) AS e, ST_YMax(e.box) AS n
FROM admin_units u
CROSS JOIN LATERAL (SELECT ST_Transform(ST_Envelope(u.geom), 4326)::box2d AS box) e
WHERE u.valid_from <= CAST(:on AS date) AND (u.valid_to IS NULL OR u.valid_to >= CAST(:on AS date))
ORDER BY array_position(ARRAY['city', 'district', 'ward', 'commune'], u.level),
         u.name COLLATE "vi-x-icu", u.id;
