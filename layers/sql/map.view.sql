-- What the clearance map opens on: the lon/lat extent of a district's wards (or of one ward;
-- all NULL when the data holds none) and the planner's row estimate of each named table, by
-- which a big layer is drawn from vector tiles.
SELECT ST_XMin(x.e) AS w, ST_YMin(x.e) AS s, ST_XMax(x.e) AS e, ST_YMax(x.e) AS n,
       (SELECT coalesce(json_object_agg(t, coalesce(c.reltuples, 0)), '{}'::json)::text
        FROM unnest(CAST(:tables AS text[])) t LEFT JOIN pg_class c ON c.oid = to_regclass(t))
         AS row_estimates
FROM (
  SELECT ST_Extent(ST_Transform(w.geom, 4326)) AS e
  FROM wards w
  WHERE w.district = :district
    AND (CAST(:ward AS text) IS NULL OR w.name = CAST(:ward AS text))
) x;
