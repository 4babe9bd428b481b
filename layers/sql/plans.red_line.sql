-- One red line: its road and its lines (EWKB hex, VN-2000), to build a corridor from.
SELECT l.id, l.road, l.district, l.plan_ref, encode(ST_AsEWKB(l.geom), 'hex') AS geom
FROM red_lines l
WHERE l.id = :red_line_id;
