-- Parcels, one compensation plan each, with their project's code and district.
SELECT pa.id, pa.code, pa.project_id, pr.code AS project_code, pr.name AS project_name,
       pr.district, pa.land_user_kind, pa.status, pa.drafted_on, pa.published_on,
       pa.approved_on, pa.paid_on, pa.handed_over_on, pa.compensation_vnd,
       round((pa.area_m2 / 10000)::numeric, 4) AS area_ha,
       pa.geom
FROM parcels pa
JOIN projects pr ON pr.id = pa.project_id
