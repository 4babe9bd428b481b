-- Lakes and ponds with their works.
SELECT k.id, k.name, k.district, k.works, k.status, k.completed_on,
       round((k.area_m2 / 10000)::numeric, 4) AS area_ha, k.geom
FROM lakes k
