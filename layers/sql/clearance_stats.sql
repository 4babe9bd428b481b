-- Clearance progress of a district (optionally one ward) over a period [:date_from, :date_to].
-- Definitions (README, "Definitions"):
--   projects carried out: started on or before the end, not completed before the start;
--   plans: compensation plans (parcels) of those projects;
--   recovered: ground area (ellipsoid) of the parcels whose plans were approved in the period;
--   compensation: the amounts of those plans;
--   ahead of schedule: completed in the period before the target date.
-- A ward holds a project when their interiors intersect, and a parcel when its point on surface lies in it.
WITH ward AS (
  SELECT w.geom FROM wards w
  WHERE w.district = :district AND w.name = CAST(:ward AS text)
),
p AS (
  SELECT pr.* FROM projects pr
  WHERE pr.district = :district
    AND pr.started_on <= :date_to
    AND (pr.completed_on IS NULL OR pr.completed_on >= :date_from)
    AND (CAST(:ward AS text) IS NULL OR EXISTS (
          SELECT 1 FROM ward WHERE ST_Relate(ward.geom, pr.geom, 'T********')))
),
pl AS (
  SELECT pa.id, pa.project_id, pa.status, pa.area_m2, pa.compensation_vnd,
         pa.approved_on BETWEEN :date_from AND :date_to AS approved_in_period,
         ST_PointOnSurface(pa.geom) AS pt
  FROM parcels pa JOIN p ON p.id = pa.project_id
  WHERE CAST(:ward AS text) IS NULL
     OR EXISTS (SELECT 1 FROM ward WHERE ST_Contains(ward.geom, ST_PointOnSurface(pa.geom)))
),
by_ward AS (
  SELECT w.name AS ward,
         (SELECT count(*) FROM p WHERE ST_Relate(w.geom, p.geom, 'T********')) AS projects,
         count(pl.id) AS plans_total,
         count(pl.id) FILTER (WHERE pl.approved_in_period) AS plans_approved,
         round((coalesce(sum(pl.area_m2) FILTER (WHERE pl.approved_in_period), 0) / 10000)::numeric, 4)
           AS recovered_ha,
         coalesce(sum(pl.compensation_vnd) FILTER (WHERE pl.approved_in_period), 0) AS compensation_vnd
  FROM wards w
  LEFT JOIN pl ON ST_Contains(w.geom, pl.pt)
  WHERE w.district = :district AND (CAST(:ward AS text) IS NULL OR w.name = CAST(:ward AS text))
  GROUP BY w.id, w.name, w.geom
)
SELECT json_build_object(
  'district', CAST(:district AS text),
  'ward', CAST(:ward AS text),
  'from', CAST(:date_from AS date),
  'to', CAST(:date_to AS date),
  'projects', (SELECT count(*) FROM p),
  'projects_budget', (SELECT count(*) FROM p WHERE funding = 'budget'),
  'projects_non_budget', (SELECT count(*) FROM p WHERE funding = 'non_budget'),
  'plans_total', (SELECT count(*) FROM pl),
  'plans_approved', (SELECT count(*) FROM pl WHERE approved_in_period),
  'recovered_ha', (SELECT round((coalesce(sum(area_m2), 0) / 10000)::numeric, 4)
                   FROM pl WHERE approved_in_period),
  'compensation_vnd', (SELECT coalesce(sum(compensation_vnd), 0) FROM pl WHERE approved_in_period),
  'projects_ahead_of_schedule', (SELECT count(*) FROM p
                                 WHERE completed_on BETWEEN :date_from AND :date_to
                                   AND completed_on < target_date),
  'projects_by_status', (SELECT coalesce(json_object_agg(status, n), '{}'::json)
                         FROM (SELECT status, count(*) AS n FROM p GROUP BY status) s),
  'plans_by_status', (SELECT coalesce(json_object_agg(status, n), '{}'::json)
                      FROM (SELECT status, count(*) AS n FROM pl GROUP BY status) s),
  'by_ward', (SELECT coalesce(json_agg(by_ward ORDER BY by_ward.ward), '[]'::json) FROM by_ward)
)::text;
