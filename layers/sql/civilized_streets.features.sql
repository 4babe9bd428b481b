-- Civilized streets and no-parking / no-street-vending streets.
SELECT s.id, s.name, s.district, s.ward, s.kind, s.year_recognised, s.status,
       round(s.length_m::numeric, 2) AS length_m, s.geom
FROM civilized_streets s
