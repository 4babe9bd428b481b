-- Ward boundaries.
SELECT w.id, w.district, w.name, round((w.area_m2 / 10000)::numeric, 4) AS area_ha, w.geom
FROM wards w
