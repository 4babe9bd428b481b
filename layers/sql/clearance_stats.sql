-- Clearance progress of an administrative unit over a period [:date_from, :date_to],
-- as recorded today or, when :as_of is a day, as the status history stood on it.
-- Definitions (README, "Definitions"):
--   projects carried out: started on or before the end, not completed before the start;
--   plans: compensation plans (parcels) of those projects;
--   recovered: ground area (ellipsoid) of the parcels whose plans were approved in the period;
--   compensation: the amounts of those plans;
--   ahead of schedule: completed in the period before the target date;
--   behind schedule (late): the target date passed before the period's end (the as-of day or
--   today when earlier) and the project is not completed by then;
--   as of a day: statuses, completions and approvals are those of the status events effective
--   on or before it, and the period ends on that day at the latest (so cumulative figures never
--   decrease as the day advances; before the period starts they are all zero).
-- The unit is :district, an admin_units id (a district, a ward, old or new), or the ward named
-- :ward of district :district; it holds a project when their interiors intersect, and a parcel
-- (and a civilized street) when its point on surface lies in it, whatever its validity: a unit
-- formed later holds the figures of its area before it existed. The figures are broken down by
-- the unit's parts valid in the period (an old district's wards), or given for the unit alone.
-- An area (a map view: :xmin, :ymin, :xmax, :ymax in :area_srid) restricts them by the same rules.
WITH d AS (
  SELECT CAST(:as_of AS date) AS as_of, CAST(:date_from AS date) AS lo,
         least(CAST(:date_to AS date), coalesce(CAST(:as_of AS date), 'infinity'::date)) AS hi
),
u AS (
  SELECT a.id, a.level, a.name, a.parent_id, a.valid_from, a.valid_to, a.geom
  FROM admin_units a
  WHERE a.id = admin_unit_id(CAST(:district AS text), CAST(:ward AS text))
),
parts AS (
  SELECT c.id, c.name, c.geom FROM admin_units c, u, d
  WHERE c.parent_id = u.id AND c.valid_from <= d.hi AND (c.valid_to IS NULL OR c.valid_to >= d.lo)
  UNION ALL
  SELECT u.id, u.name, u.geom FROM u
  WHERE NOT EXISTS (SELECT 1 FROM admin_units c, d
                    WHERE c.parent_id = u.id AND c.valid_from <= d.hi
                      AND (c.valid_to IS NULL OR c.valid_to >= d.lo))
),
area AS (
  SELECT ST_Transform(ST_Segmentize(
           ST_MakeEnvelope(CAST(:xmin AS float8), CAST(:ymin AS float8), CAST(:xmax AS float8),
                           CAST(:ymax AS float8), CAST(:area_srid AS int)),
           CAST(:area_segment AS float8)), CAST(:storage_srid AS int)) AS geom
  WHERE CAST(:xmin AS float8) IS NOT NULL
),
proj AS (
  SELECT pr.id, pr.code, pr.name, pr.funding, pr.is_key, pr.has_complaints, pr.started_on,
         pr.target_date, pr.geom,
         CASE WHEN d.as_of IS NULL THEN pr.status ELSE h.status END AS status,
         CASE WHEN d.as_of IS NULL THEN pr.completed_on ELSE h.completed_on END AS completed_on
  FROM projects pr
  CROSS JOIN d
  LEFT JOIN project_states(CAST(:as_of AS date)) h ON h.project_id = pr.id
  WHERE EXISTS (SELECT 1 FROM u WHERE ST_Relate(u.geom, pr.geom, 'T********'))
    AND (d.as_of IS NULL OR h.project_id IS NOT NULL)
),
p AS (
  SELECT proj.* FROM proj, d
  WHERE proj.started_on <= d.hi AND d.lo <= d.hi
    AND (proj.completed_on IS NULL OR proj.completed_on >= d.lo)
    AND (CAST(:xmin AS float8) IS NULL OR EXISTS (
          SELECT 1 FROM area WHERE ST_Relate(area.geom, proj.geom, 'T********')))
),
pl AS (
  SELECT pa.id, pa.project_id, p.funding, pa.area_m2, pa.compensation_vnd,
         CASE WHEN d.as_of IS NULL THEN pa.status ELSE coalesce(h.status, 'not_drafted') END
           AS status,
         CASE WHEN d.as_of IS NULL THEN pa.approved_on ELSE h.approved_on END AS approved_on,
         ST_PointOnSurface(pa.geom) AS pt
  FROM parcels pa
  JOIN p ON p.id = pa.project_id
  CROSS JOIN d
  LEFT JOIN plan_states(CAST(:as_of AS date)) h ON h.parcel_id = pa.id
  WHERE EXISTS (SELECT 1 FROM u WHERE ST_Contains(u.geom, ST_PointOnSurface(pa.geom)))
    AND (CAST(:xmin AS float8) IS NULL
         OR EXISTS (SELECT 1 FROM area WHERE ST_Contains(area.geom, ST_PointOnSurface(pa.geom))))
),
pla AS (
  SELECT pl.*, coalesce(pl.approved_on BETWEEN d.lo AND d.hi, false) AS approved_in_period
  FROM pl, d
),
by_ward AS (
  SELECT w.name AS ward, w.id AS unit,
         (SELECT count(*) FROM p WHERE ST_Relate(w.geom, p.geom, 'T********')) AS projects,
         count(pla.id) AS plans_total,
         count(pla.id) FILTER (WHERE pla.approved_in_period) AS plans_approved,
         round((coalesce(sum(pla.area_m2) FILTER (WHERE pla.approved_in_period), 0) / 10000)::numeric, 4)
           AS recovered_ha,
         coalesce(sum(pla.compensation_vnd) FILTER (WHERE pla.approved_in_period), 0) AS compensation_vnd
  FROM parts w
  LEFT JOIN pla ON ST_Contains(w.geom, pla.pt)
  GROUP BY w.id, w.name, w.geom
),
by_funding AS (
  SELECT f.sort, f.funding,
         (SELECT count(*) FROM p WHERE p.funding = f.funding) AS projects,
         count(pla.id) AS plans_total,
         count(pla.id) FILTER (WHERE pla.approved_in_period) AS plans_approved,
         round((coalesce(sum(pla.area_m2) FILTER (WHERE pla.approved_in_period), 0) / 10000)::numeric, 4)
           AS recovered_ha,
         coalesce(sum(pla.compensation_vnd) FILTER (WHERE pla.approved_in_period), 0) AS compensation_vnd
  FROM (VALUES (1, 'budget'), (2, 'non_budget')) f(sort, funding)
  LEFT JOIN pla ON pla.funding = f.funding
  GROUP BY f.sort, f.funding
),
-- Cumulative approvals month by month, from the period's first month with an approval.
months AS (
  SELECT m::date AS month, least((m + interval '1 month - 1 day')::date, d.hi) AS until
  FROM d, generate_series(
    date_trunc('month', greatest(d.lo, coalesce(
      (SELECT min(approved_on) FROM pla WHERE approved_in_period), d.hi))),
    date_trunc('month', d.hi), interval '1 month') m
  WHERE d.lo <= d.hi AND d.hi < 'infinity'::date
),
by_month AS (
  SELECT to_char(mo.month, 'YYYY-MM') AS month, mo.until,
         count(pla.id) FILTER (WHERE pla.approved_on >= mo.month) AS plans_approved,
         round((coalesce(sum(pla.area_m2) FILTER (WHERE pla.approved_on >= mo.month), 0) / 10000)::numeric, 4)
           AS recovered_ha,
         coalesce(sum(pla.compensation_vnd) FILTER (WHERE pla.approved_on >= mo.month), 0)
           AS compensation_vnd,
         count(pla.id) AS plans_approved_cumulative,
         round((coalesce(sum(pla.area_m2), 0) / 10000)::numeric, 4) AS recovered_ha_cumulative,
         coalesce(sum(pla.compensation_vnd), 0) AS compensation_vnd_cumulative,
         (SELECT count(*) FROM p, d WHERE p.completed_on BETWEEN d.lo AND mo.until)
           AS projects_completed_cumulative
  FROM months mo
  LEFT JOIN pla ON pla.approved_in_period AND pla.approved_on <= mo.until
  GROUP BY mo.month, mo.until
),
project_list AS (
  SELECT p.id, p.code, p.name, p.funding, p.is_key, p.has_complaints, p.status, p.started_on,
         p.target_date, p.completed_on,
         coalesce(p.completed_on BETWEEN d.lo AND d.hi AND p.completed_on < p.target_date, false)
           AS ahead_of_schedule,
         late.days IS NOT NULL AS behind_schedule, late.days AS days_late,
         (SELECT coalesce(json_agg(w.name ORDER BY w.name COLLATE "vi-x-icu"), '[]'::json) FROM admin_units w
          WHERE w.level IN ('ward', 'commune') AND w.valid_from <= d.hi
            AND (w.valid_to IS NULL OR w.valid_to >= d.lo)
            AND ST_Relate(w.geom, p.geom, 'T********')) AS wards,
         s.plans_total, s.plans_approved, s.plans_approved_to_date, s.recovered_ha,
         s.compensation_vnd,
         round(ST_Y(c.pt)::numeric, 6) AS lat, round(ST_X(c.pt)::numeric, 6) AS lon
  FROM p
  CROSS JOIN d
  CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(p.geom), 4326) AS pt) c
  CROSS JOIN LATERAL (
    SELECT CASE WHEN p.target_date < r.day AND p.status <> 'completed'
                     AND (p.completed_on IS NULL OR p.completed_on > r.day)
                THEN r.day - p.target_date END AS days
    FROM (SELECT least(d.hi, current_date) AS day) r
  ) late
  CROSS JOIN LATERAL (
    SELECT count(*) AS plans_total,
           count(*) FILTER (WHERE pla.approved_in_period) AS plans_approved,
           count(*) FILTER (WHERE pla.approved_on <= d.hi) AS plans_approved_to_date,
           round((coalesce(sum(pla.area_m2) FILTER (WHERE pla.approved_in_period), 0) / 10000)::numeric, 4)
             AS recovered_ha,
           coalesce(sum(pla.compensation_vnd) FILTER (WHERE pla.approved_in_period), 0)
             AS compensation_vnd
    FROM pla WHERE pla.project_id = p.id
  ) s
),
streets AS (
  SELECT s.* FROM civilized_streets s
  WHERE s.kind = 'civilized'
    AND EXISTS (SELECT 1 FROM u WHERE ST_Contains(u.geom, ST_PointOnSurface(s.geom)))
)
SELECT json_build_object(
  'district', CAST(:district AS text),
  'ward', CAST(:ward AS text),
  'unit', (SELECT json_build_object('id', u.id, 'level', u.level, 'name', u.name,
                                    'parent_id', u.parent_id, 'valid_from', u.valid_from,
                                    'valid_to', u.valid_to) FROM u),
  'from', CAST(:date_from AS date),
  'to', CAST(:date_to AS date),
  'as_of', (SELECT as_of FROM d),
  'projects', (SELECT count(*) FROM p),
  'projects_budget', (SELECT count(*) FROM p WHERE funding = 'budget'),
  'projects_non_budget', (SELECT count(*) FROM p WHERE funding = 'non_budget'),
  'plans_total', (SELECT count(*) FROM pla),
  'plans_approved', (SELECT count(*) FROM pla WHERE approved_in_period),
  'recovered_ha', (SELECT round((coalesce(sum(area_m2), 0) / 10000)::numeric, 4)
                   FROM pla WHERE approved_in_period),
  'compensation_vnd', (SELECT coalesce(sum(compensation_vnd), 0) FROM pla WHERE approved_in_period),
  'projects_ahead_of_schedule', (SELECT count(*) FROM project_list WHERE ahead_of_schedule),
  'projects_behind_schedule', (SELECT count(*) FROM project_list WHERE behind_schedule),
  'projects_by_status', (SELECT coalesce(json_object_agg(status, n), '{}'::json)
                         FROM (SELECT status, count(*) AS n FROM p GROUP BY status) s),
  'plans_by_status', (SELECT coalesce(json_object_agg(status, n), '{}'::json)
                      FROM (SELECT status, count(*) AS n FROM pla GROUP BY status) s),
  'by_ward', (SELECT coalesce(json_agg(by_ward ORDER BY by_ward.ward COLLATE "vi-x-icu"), '[]'::json) FROM by_ward),
  'by_funding', (SELECT json_agg(json_build_object(
                   'funding', funding, 'projects', projects, 'plans_total', plans_total,
                   'plans_approved', plans_approved, 'recovered_ha', recovered_ha,
                   'compensation_vnd', compensation_vnd) ORDER BY sort) FROM by_funding),
  'by_month', (SELECT coalesce(json_agg(by_month ORDER BY by_month.month), '[]'::json)
               FROM by_month),
  'project_list', (SELECT coalesce(json_agg(project_list ORDER BY project_list.code), '[]'::json)
                   FROM project_list),
  'civilized_streets', (SELECT json_build_object(
                          'year', y.year,
                          'planned', count(s.id) FILTER (WHERE s.status = 'planned'
                                                         AND s.year_recognised = y.year),
                          'recognised', count(s.id) FILTER (WHERE s.status <> 'planned'
                                                            AND s.year_recognised < y.year))
                        FROM (SELECT extract(year FROM d.hi)::int AS year FROM d) y
                        LEFT JOIN streets s ON true
                        GROUP BY y.year)
)::text;
