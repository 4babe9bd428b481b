-- The features of one layer on a printed sheet, clipped a little beyond the map frame, of one
-- district. The frame is given in the sheet's grid (sheet_srid), the geometry is stored in the
-- storage SRID; the clipped geometry comes back as WKB in the sheet's grid.
-- The marked FROM item is the layer's own feature SELECT (layers/sql/<layer>.features.sql),
-- which reads the as-of day for layers with a status history.
WITH env AS (
  SELECT ST_Transform(ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, CAST(:sheet_srid AS int)),
                      CAST(:storage_srid AS int)) AS box
)
SELECT (to_jsonb(f) - 'geom')::text AS props,
       ST_AsBinary(ST_Transform(ST_ClipByBox2D(f.geom, env.box::box2d),
                                CAST(:sheet_srid AS int))) AS wkb
FROM (/*source*/) f, env
WHERE f.geom && env.box AND f.district = :district
ORDER BY f.id;
