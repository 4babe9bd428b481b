-- Red lines of the approved plans, with their ground length.
SELECT l.id, l.district, l.road, l.plan_ref, round(l.length_m::numeric, 2) AS length_m, l.geom
FROM red_lines l
