-- The parcel under a point clicked on the map (lon/lat, WGS 84): the smallest one holding it.
WITH pt AS (
  SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), CAST(:srid AS integer)) AS g
)
SELECT pa.id
FROM parcels pa, pt
WHERE pa.geom && pt.g AND ST_Intersects(pa.geom, pt.g)
ORDER BY pa.area_m2, pa.id
LIMIT 1;
