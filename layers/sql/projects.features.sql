-- Site-clearance projects with the progress of their compensation plans, as recorded today or,
-- when :as_of is a day, as their status history stood on it (projects without history by then
-- are left out). recovered_ha: ground area of the parcels whose plans are approved;
-- recovered_pct: of the project's own ground area.
SELECT p.id, p.code, p.name, p.district, p.funding, p.is_key, p.has_complaints,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN p.status ELSE h.status END AS status,
       p.started_on, p.target_date,
       CASE WHEN CAST(:as_of AS date) IS NULL THEN p.completed_on ELSE h.completed_on END
         AS completed_on,
       (CASE WHEN CAST(:as_of AS date) IS NULL THEN p.completed_on ELSE h.completed_on END
          < p.target_date) AS ahead_of_schedule,
       round((p.area_m2 / 10000)::numeric, 4) AS area_ha,
       coalesce(s.plans_total, 0) AS plans_total,
       coalesce(s.plans_approved, 0) AS plans_approved,
       round((coalesce(s.recovered_m2, 0) / 10000)::numeric, 4) AS recovered_ha,
       round((100 * coalesce(s.recovered_m2, 0) / nullif(p.area_m2, 0))::numeric, 1) AS recovered_pct,
       coalesce(s.compensation_vnd, 0) AS compensation_vnd,
       p.geom
FROM projects p
LEFT JOIN project_states(CAST(:as_of AS date)) h ON h.project_id = p.id
LEFT JOIN LATERAL (
  SELECT count(*) AS plans_total,
         count(*) FILTER (WHERE a.approved_on IS NOT NULL) AS plans_approved,
         sum(pa.area_m2) FILTER (WHERE a.approved_on IS NOT NULL) AS recovered_m2,
         sum(pa.compensation_vnd) FILTER (WHERE a.approved_on IS NOT NULL) AS compensation_vnd
  FROM parcels pa
  LEFT JOIN plan_states(CAST(:as_of AS date)) ps ON ps.parcel_id = pa.id
  CROSS JOIN LATERAL (
    SELECT CASE WHEN CAST(:as_of AS date) IS NULL THEN pa.approved_on ELSE ps.approved_on END
             AS approved_on) a
  WHERE pa.project_id = p.id
) s ON true
WHERE CAST(:as_of AS date) IS NULL OR h.project_id IS NOT NULL
