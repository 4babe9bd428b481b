-- The district of the ward nearest to a point given in WGS 84 (lon, lat): the district a map
-- export is about when none is named. Geometry is stored in the storage SRID.
SELECT w.district
FROM wards w
ORDER BY w.geom <-> ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),
                                 CAST(:storage_srid AS int))
LIMIT 1;
