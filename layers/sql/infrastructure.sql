-- Infrastructure figures of an administrative unit (:district, an admin_units id, or the ward
-- :ward of district :district) over a period [:date_from, :date_to],
-- as one JSON document: the figures a district's programme tracks, and its targets beside them.
-- The state on a day comes from each feature's dates; with :as_of the period ends on that day
-- at the latest (before the period starts every figure is zero). Definitions:
--   a feature belongs to the unit's part (a ward) whose polygon holds its point on surface,
--   whatever its district and ward attributes say;
--   streets and alleys surfaced by the end: asphalt or concrete, surfaced on or before the end
--   (no date: surfaced before the records); until then an alley counts as earth;
--   an alley (kind alley) is lit by the end when lit and lit on or before it (no date: before
--   the records); lighting is counted by width class, each class "width at least W m" for every
--   W a programme of the district measures (alleys_lit_pct), and one class for every width;
--   public facilities built: completed in the period, by kind and works; a school (kindergarten,
--   primary, lower-secondary) reaches the national standard on national_standard_on;
--   permit rate: constructions started in the period with a building permit, of all started;
--   a violation is a construction without a permit or not built as permitted; it is controlled
--   when handled on or before the end;
--   green (and water) area added: ground area of green spaces opened in the period;
--   green spaces maintained: maintenance period overlapping the period;
--   workshops on the list: listed on or before the end, not relocated or closed before the start;
--   targets: those of the district's programmes whose period overlaps the report's; a ward's
--   report shows only that ward's targets. Met: the figure lies within the target's bounds.
-- Lengths and areas are the tables' ground measures (WGS 84 ellipsoid).
WITH d AS (
  SELECT CAST(:date_from AS date) AS lo,
         least(CAST(:date_to AS date), coalesce(CAST(:as_of AS date), 'infinity'::date)) AS hi
),
u AS (
  SELECT a.id, a.name, a.geom FROM admin_units a
  WHERE a.id = admin_unit_id(CAST(:district AS text), CAST(:ward AS text))
),
-- The unit's parts valid in the period (an old district's wards), or the unit alone.
wd AS (
  SELECT c.name, c.geom FROM admin_units c, u, d
  WHERE c.parent_id = u.id AND c.valid_from <= d.hi AND (c.valid_to IS NULL OR c.valid_to >= d.lo)
  UNION ALL
  SELECT u.name, u.geom FROM u
  WHERE NOT EXISTS (SELECT 1 FROM admin_units c, d
                    WHERE c.parent_id = u.id AND c.valid_from <= d.hi
                      AND (c.valid_to IS NULL OR c.valid_to >= d.lo))
),
al AS (
  SELECT a.kind, a.width_m, a.surface, a.lamps, a.length_m, wd.name AS unit,
         a.surface IN ('asphalt', 'concrete') AND (a.surfaced_on IS NULL OR a.surfaced_on <= d.hi)
           AS surfaced,
         coalesce(a.surfaced_on BETWEEN d.lo AND d.hi, false) AS surfaced_in_period,
         a.lit AND (a.lit_on IS NULL OR a.lit_on <= d.hi) AS lit,
         a.lit AND coalesce(a.lit_on BETWEEN d.lo AND d.hi, false) AS lit_in_period
  FROM alleys a CROSS JOIN d
  JOIN wd ON ST_Contains(wd.geom, ST_PointOnSurface(a.geom))
  WHERE d.lo <= d.hi
),
roads AS (
  SELECT s.surface,
         count(al.*) FILTER (WHERE al.surfaced AND al.surface = s.surface
                             OR s.surface = 'earth' AND NOT al.surfaced) AS count,
         count(al.*) FILTER (WHERE al.surfaced_in_period AND al.surface = s.surface)
           AS in_period,
         round((coalesce(sum(al.length_m) FILTER (WHERE al.surfaced AND al.surface = s.surface
                 OR s.surface = 'earth' AND NOT al.surfaced), 0) / 1000)::numeric, 3) AS km
  FROM (VALUES (1, 'asphalt'), (2, 'concrete'), (3, 'earth')) AS s(i, surface)
  LEFT JOIN al ON true
  GROUP BY s.i, s.surface
  ORDER BY s.i
),
widths AS (
  SELECT NULL::numeric AS min_width_m
  UNION
  SELECT DISTINCT t.param FROM programme_targets t
  WHERE t.district = :district AND t.indicator = 'alleys_lit_pct'
),
lighting AS (
  SELECT w.min_width_m,
         count(al.*) AS alleys,
         round((coalesce(sum(al.length_m), 0) / 1000)::numeric, 3) AS km,
         count(al.*) FILTER (WHERE al.lit) AS lit_count,
         round((coalesce(sum(al.length_m) FILTER (WHERE al.lit), 0) / 1000)::numeric, 3)
           AS lit_km,
         coalesce(sum(al.lamps) FILTER (WHERE al.lit), 0) AS lamps,
         count(al.*) FILTER (WHERE NOT al.lit) AS unlit_count,
         round((coalesce(sum(al.length_m) FILTER (WHERE NOT al.lit), 0) / 1000)::numeric, 3)
           AS unlit_km,
         round((coalesce(sum(al.length_m) FILTER (WHERE al.lit_in_period), 0) / 1000)::numeric, 3)
           AS lit_in_period_km,
         coalesce(sum(al.lamps) FILTER (WHERE al.lit_in_period), 0) AS lamps_in_period,
         CASE WHEN sum(al.length_m) > 0 THEN round((100 * coalesce(sum(al.length_m)
           FILTER (WHERE al.lit), 0) / sum(al.length_m))::numeric, 1) END AS lit_pct
  FROM widths w
  LEFT JOIN al ON al.kind = 'alley' AND (w.min_width_m IS NULL OR al.width_m >= w.min_width_m)
  GROUP BY w.min_width_m
  ORDER BY w.min_width_m DESC NULLS FIRST
),
pf AS (
  SELECT f.name, f.kind, f.works, f.status, f.planned_year, f.standard_target_year,
         wd.name AS unit,
         CASE WHEN f.completed_on <= d.hi THEN f.completed_on END AS completed_on,
         CASE WHEN f.national_standard_on <= d.hi THEN f.national_standard_on END
           AS national_standard_on,
         coalesce(f.completed_on BETWEEN d.lo AND d.hi, false) AS built,
         coalesce(f.national_standard_on BETWEEN d.lo AND d.hi, false) AS standard,
         f.kind IN ('kindergarten', 'primary_school', 'lower_secondary_school') AS school,
         f.planned_year BETWEEN extract(year FROM d.lo) AND extract(year FROM d.hi)
           OR f.standard_target_year BETWEEN extract(year FROM d.lo) AND extract(year FROM d.hi)
           AS planned_in_period
  FROM public_facilities f CROSS JOIN d
  JOIN wd ON ST_Contains(wd.geom, f.geom)
  WHERE d.lo <= d.hi
),
pf_kinds AS (
  SELECT k.kind,
         count(pf.*) FILTER (WHERE pf.built AND pf.works = 'new') AS new,
         count(pf.*) FILTER (WHERE pf.built AND pf.works = 'renovation') AS renovation,
         count(pf.*) FILTER (WHERE pf.built) AS total,
         count(pf.*) FILTER (WHERE pf.standard) AS national_standard
  FROM (VALUES (1, 'health_station'), (2, 'kindergarten'), (3, 'primary_school'),
               (4, 'lower_secondary_school'), (5, 'administrative_office'),
               (6, 'cultural_house')) AS k(i, kind)
  LEFT JOIN pf ON pf.kind = k.kind
  GROUP BY k.i, k.kind
  ORDER BY k.i
),
bp AS (
  SELECT extract(year FROM b.construction_started_on)::int AS year, b.permit_issued,
         NOT b.permit_issued OR b.built_as_permitted IS FALSE AS violation,
         coalesce(b.violation_handled, false) AND (b.handled_on IS NULL OR b.handled_on <= d.hi)
           AS handled
  FROM building_permits b CROSS JOIN d
  JOIN wd ON ST_Contains(wd.geom, b.geom)
  WHERE b.construction_started_on BETWEEN d.lo AND d.hi
),
permits AS (
  SELECT bp.year, count(*) AS constructions,
         count(*) FILTER (WHERE bp.permit_issued) AS permitted,
         round(100.0 * count(*) FILTER (WHERE bp.permit_issued) / nullif(count(*), 0), 1)
           AS permit_rate_pct,
         count(*) FILTER (WHERE bp.violation) AS violations,
         count(*) FILTER (WHERE bp.violation AND bp.handled) AS controlled,
         CASE WHEN count(*) FILTER (WHERE bp.violation) > 0 THEN round(100.0 * count(*)
           FILTER (WHERE bp.violation AND bp.handled) / count(*) FILTER (WHERE bp.violation), 1)
         END AS controlled_pct
  FROM bp
  GROUP BY GROUPING SETS ((bp.year), ())
),
gs AS (
  SELECT g.kind, g.area_m2,
         coalesce(g.created_on BETWEEN d.lo AND d.hi, false) AS added,
         g.maintained_from <= d.hi AND (g.maintained_to IS NULL OR g.maintained_to >= d.lo)
           AS maintained
  FROM green_spaces g CROSS JOIN d
  JOIN wd ON ST_Contains(wd.geom, ST_PointOnSurface(g.geom))
  WHERE d.lo <= d.hi
),
green AS (
  SELECT k.kind,
         count(gs.*) FILTER (WHERE gs.added) AS added,
         round((coalesce(sum(gs.area_m2) FILTER (WHERE gs.added), 0) / 10000)::numeric, 4)
           AS added_ha,
         count(gs.*) FILTER (WHERE gs.maintained) AS maintained,
         round((coalesce(sum(gs.area_m2) FILTER (WHERE gs.maintained), 0) / 10000)::numeric, 4)
           AS maintained_ha
  FROM (VALUES (1, 'flower_garden'), (2, 'landscape_feature'), (3, 'median_strip'),
               (4, 'park'), (5, 'water_surface')) AS k(i, kind)
  LEFT JOIN gs ON gs.kind = k.kind
  GROUP BY k.i, k.kind
  ORDER BY k.i
),
fa AS (
  SELECT f.kind, wd.name AS unit
  FROM facilities f CROSS JOIN d
  JOIN wd ON ST_Contains(wd.geom, f.geom)
  WHERE f.listed_on <= d.hi AND (f.closed_on IS NULL OR f.closed_on >= d.lo) AND d.lo <= d.hi
),
fa_wards AS (
  SELECT wd.name AS ward,
         count(fa.*) FILTER (WHERE fa.kind = 'woodworking') AS woodworking,
         count(fa.*) FILTER (WHERE fa.kind = 'laundry') AS laundry,
         count(fa.*) FILTER (WHERE fa.kind = 'metalwork_scrap') AS metalwork_scrap,
         count(fa.*) AS total
  FROM wd LEFT JOIN fa ON fa.unit = wd.name
  GROUP BY wd.name
),
figures AS (
  SELECT
    (SELECT permit_rate_pct FROM permits WHERE year IS NULL) AS permit_rate_pct,
    (SELECT controlled_pct FROM permits WHERE year IS NULL) AS violations_controlled_pct,
    (SELECT round(sum(added_ha), 4) FROM green) AS green_water_added_ha,
    (SELECT count(*) FROM pf WHERE pf.school AND pf.standard) AS schools_national_standard,
    (SELECT count(*) FROM pf WHERE pf.school AND pf.built AND pf.works = 'new') AS new_schools
),
targets AS (
  SELECT t.programme, t.indicator, t.ward, t.param, t.target_min, t.target_max,
         CASE t.indicator
           WHEN 'permit_rate_pct' THEN f.permit_rate_pct
           WHEN 'violations_controlled_pct' THEN f.violations_controlled_pct
           WHEN 'green_water_added_ha' THEN round(f.green_water_added_ha, 2)
           WHEN 'schools_national_standard' THEN f.schools_national_standard
           WHEN 'new_schools' THEN f.new_schools
           WHEN 'health_stations' THEN (
             SELECT count(*) FROM pf
             WHERE pf.kind = 'health_station' AND pf.built
               AND (t.ward IS NULL OR pf.unit = t.ward))
           WHEN 'alleys_lit_pct' THEN (
             SELECT l.lit_pct FROM lighting l WHERE l.min_width_m = t.param)
         END AS actual
  FROM programme_targets t CROSS JOIN figures f
  WHERE t.district = :district
    AND t.period_from <= CAST(:date_to AS date) AND t.period_to >= CAST(:date_from AS date)
    AND (t.target_min IS NOT NULL OR t.target_max IS NOT NULL)
    AND (CAST(:ward AS text) IS NULL OR t.ward = CAST(:ward AS text))
),
programmes AS (
  SELECT DISTINCT t.programme, t.title_vi, t.title_en, t.period_from, t.period_to
  FROM programme_targets t
  WHERE t.district = :district
    AND t.period_from <= CAST(:date_to AS date) AND t.period_to >= CAST(:date_from AS date)
)
SELECT json_build_object(
  'district', CAST(:district AS text),
  'ward', CAST(:ward AS text),
  'from', CAST(:date_from AS date),
  'to', CAST(:date_to AS date),
  'as_of', CAST(:as_of AS date),
  'programmes', (SELECT coalesce(json_agg(p ORDER BY p.period_from), '[]'::json) FROM programmes p),
  'targets', (
    SELECT coalesce(json_agg(json_build_object(
      'programme', t.programme, 'indicator', t.indicator, 'ward', t.ward, 'param', t.param,
      'min', t.target_min, 'max', t.target_max, 'actual', t.actual,
      'met', CASE WHEN t.actual IS NULL THEN NULL
                  ELSE (t.target_min IS NULL OR t.actual >= t.target_min)
                       AND (t.target_max IS NULL OR t.actual <= t.target_max) END)
      ORDER BY t.indicator, t.ward, t.param), '[]'::json)
    FROM targets t),
  'roads', (SELECT json_agg(r) FROM roads r),
  'lighting', (SELECT json_agg(l) FROM lighting l),
  'public_facilities', json_build_object(
    'by_kind', (SELECT json_agg(k) FROM pf_kinds k),
    'built', (SELECT count(*) FROM pf WHERE pf.built),
    'new', (SELECT count(*) FROM pf WHERE pf.built AND pf.works = 'new'),
    'renovation', (SELECT count(*) FROM pf WHERE pf.built AND pf.works = 'renovation'),
    'schools_national_standard', (SELECT schools_national_standard FROM figures),
    'new_schools', (SELECT new_schools FROM figures),
    'planned', (
      SELECT coalesce(json_agg(json_build_object(
        'name', pf.name, 'kind', pf.kind, 'ward', pf.unit, 'works', pf.works,
        'planned_year', pf.planned_year, 'standard_target_year', pf.standard_target_year,
        'completed_on', pf.completed_on, 'national_standard_on', pf.national_standard_on,
        'done', CASE WHEN pf.planned_year IS NOT NULL THEN pf.completed_on IS NOT NULL
                     ELSE pf.national_standard_on IS NOT NULL END)
        ORDER BY pf.kind, pf.name), '[]'::json)
      FROM pf WHERE pf.planned_in_period)),
  'permits', json_build_object(
    'by_year', (SELECT coalesce(json_agg(p ORDER BY p.year), '[]'::json) FROM permits p
                WHERE p.year IS NOT NULL),
    'total', (SELECT to_json(p) FROM permits p WHERE p.year IS NULL)),
  'green', json_build_object(
    'by_kind', (SELECT json_agg(g) FROM green g),
    'added_ha', (SELECT round(sum(added_ha), 4) FROM green),
    'added_green_ha', (SELECT round(sum(added_ha), 4) FROM green WHERE kind <> 'water_surface'),
    'added_water_ha', (SELECT round(sum(added_ha), 4) FROM green WHERE kind = 'water_surface'),
    'maintained', (SELECT sum(maintained) FROM green)),
  'facilities', json_build_object(
    'by_kind', json_build_object(
      'woodworking', (SELECT count(*) FROM fa WHERE fa.kind = 'woodworking'),
      'laundry', (SELECT count(*) FROM fa WHERE fa.kind = 'laundry'),
      'metalwork_scrap', (SELECT count(*) FROM fa WHERE fa.kind = 'metalwork_scrap')),
    'total', (SELECT count(*) FROM fa),
    'by_ward', (SELECT coalesce(json_agg(w ORDER BY w.ward COLLATE "vi-x-icu"), '[]'::json)
                FROM fa_wards w))
)::text;
