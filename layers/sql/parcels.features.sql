-- Parcels, one compensation plan each, with their project's code and district: as recorded today
-- or, when :as_of is a day, as their status history stood on it (plans not yet drafted by then
-- are left out; the amount counts from the plan's approval).
SELECT pa.id, pa.code, pa.project_id, pr.code AS project_code, pr.name AS project_name,
       pr.district, pa.land_user_kind, pa.land_user_name,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN pa.status ELSE h.status END AS status,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN pa.drafted_on ELSE h.drafted_on END AS drafted_on,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN pa.published_on ELSE h.published_on END
         AS published_on,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN pa.approved_on ELSE h.approved_on END
         AS approved_on,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN pa.paid_on ELSE h.paid_on END AS paid_on,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN pa.handed_over_on ELSE h.handed_over_on END
         AS handed_over_on,
       CASE WHEN CAST(:as_of AS date) IS NULL OR h.approved_on IS NOT NULL
            THEN pa.compensation_vnd ELSE 0 END AS compensation_vnd,
       round((pa.area_m2 / 10000)::numeric, 4) AS area_ha,
       pa.geom
FROM parcels pa
-- The project of each parcel returned, by its key (OFFSET 0 keeps this a lookup per parcel): a
-- join would let the planner hash every project for a page of a few hundred parcels, a cost that
-- grows with the city (5 ms of an 18 ms box at 20,000 projects). Every parcel has its project
-- (NOT NULL, foreign key), so the row set is the join's.
CROSS JOIN LATERAL (SELECT p.code, p.name, p.district FROM projects p
                    WHERE p.id = pa.project_id OFFSET 0) pr
LEFT JOIN plan_states(CAST(:as_of AS date)) h ON h.parcel_id = pa.id
WHERE CAST(:as_of AS date) IS NULL OR h.parcel_id IS NOT NULL
