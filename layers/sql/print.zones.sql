-- The land-use zones of a vector plan on a printed sheet, clipped a little beyond the map frame.
-- The frame is given in the sheet's grid (sheet_srid), the zones are stored in the storage SRID;
-- the clipped geometry comes back as WKB in the sheet's grid.
WITH env AS (
  SELECT ST_Transform(ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, CAST(:sheet_srid AS int)),
                      CAST(:storage_srid AS int)) AS box
)
SELECT z.code, z.name,
       ST_AsBinary(ST_Transform(ST_ClipByBox2D(z.geom, env.box::box2d),
                                CAST(:sheet_srid AS int))) AS wkb
FROM plan_zones z, env
WHERE z.plan_id = :plan_id AND z.geom && env.box
ORDER BY z.id;
