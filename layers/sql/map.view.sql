-- What the clearance map opens on: the lon/lat extent of the administrative unit asked for (a
-- unit's id, or a ward by district and name; all NULL when the data holds none) and the planner's row estimate of each named table, by
-- which a big layer is drawn from vector tiles.
SELECT ST_XMin(x.e) AS w, ST_YMin(x.e) AS s, ST_XMax(x.e) AS e, ST_YMax(x.e) AS n,
       (SELECT coalesce(json_object_agg(t, coalesce(c.reltuples, 0)), '{}'::json)::text
        FROM unnest(CAST(:tables AS text[])) t LEFT JOIN pg_class c ON c.oid = to_regclass(t))
         AS row_estimates
FROM (
  SELECT ST_Extent(ST_Transform(u.geom, 4326)) AS e
  FROM admin_units u
  WHERE u.id = admin_unit_id(CAST(:district AS text), CAST(:ward AS text))
) x;
