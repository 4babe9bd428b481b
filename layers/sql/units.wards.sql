-- Every ward the data holds, by district; the district list is the set of these districts.
SELECT coalesce(json_object_agg(d.district, d.wards ORDER BY d.district), '{}'::json)::text
FROM (
  SELECT w.district, json_agg(w.name ORDER BY w.name COLLATE "vi-x-icu") AS wards
  FROM wards w
  GROUP BY w.district
) d;
