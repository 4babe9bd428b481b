-- Site-clearance projects with the progress of their compensation plans (to date).
-- recovered_ha: ground area of the parcels whose plans are approved; recovered_pct: of the
-- project's own ground area.
SELECT p.id, p.code, p.name, p.district, p.funding, p.is_key, p.has_complaints, p.status,
       p.started_on, p.target_date, p.completed_on,
       (p.completed_on < p.target_date) AS ahead_of_schedule,
       round((p.area_m2 / 10000)::numeric, 4) AS area_ha,
       coalesce(s.plans_total, 0) AS plans_total,
       coalesce(s.plans_approved, 0) AS plans_approved,
       round((coalesce(s.recovered_m2, 0) / 10000)::numeric, 4) AS recovered_ha,
       round((100 * coalesce(s.recovered_m2, 0) / nullif(p.area_m2, 0))::numeric, 1) AS recovered_pct,
       coalesce(s.compensation_vnd, 0) AS compensation_vnd,
       p.geom
FROM projects p
LEFT JOIN LATERAL (
  SELECT count(*) AS plans_total,
         count(*) FILTER (WHERE pa.approved_on IS NOT NULL) AS plans_approved,
         sum(pa.area_m2) FILTER (WHERE pa.approved_on IS NOT NULL) AS recovered_m2,
         sum(pa.compensation_vnd) FILTER (WHERE pa.approved_on IS NOT NULL) AS compensation_vnd
  FROM parcels pa WHERE pa.project_id = p.id
) s ON true
