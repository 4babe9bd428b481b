-- One vector tile of a layer, with the layer's data version, in one statement.
-- pg_tileserv's shape: the tile's envelope (with its buffer, clipped to where the storage grid
-- holds) is transformed to the storage grid, not the column, so the GiST index is used.
-- The marked places are filled from the layer's spec (identifiers only, never a request's):
--   table    the layer's table;
--   columns  its tile columns, by name: what styles and labels a feature, nothing else;
--   geom     the geometry drawn: as stored at full detail, simplified below it;
--   thin     below full detail, features smaller than the tile can show are left out and the
--            largest kept first up to the cap; at full detail nothing, so nothing is sorted.
WITH b AS (
  SELECT ST_TileEnvelope(CAST(:z AS int), CAST(:x AS int), CAST(:y AS int)) AS merc,
         ST_Transform(
           ST_ClipByBox2D(
             ST_TileEnvelope(CAST(:z AS int), CAST(:x AS int), CAST(:y AS int),
                             margin => CAST(:margin AS float8)),
             ST_MakeEnvelope(:gx1, :gy1, :gx2, :gy2, 3857)::box2d),
           CAST(:srid AS int)) AS grid
),
mvt AS (
  SELECT t.id, /*columns*/,
         ST_AsMVTGeom(ST_Transform(/*geom*/, 3857), b.merc,
                      CAST(:extent AS int), CAST(:buffer AS int)) AS geom
  FROM (
    SELECT t.id, /*columns*/, t.geom
    FROM /*table*/ t, b
    WHERE t.geom && b.grid
    /*thin*/
    LIMIT CAST(:max_features AS int)
  ) t, b
)
SELECT (SELECT version FROM layer_versions WHERE layer = CAST(:layer AS text)) AS version,
       -- ST_AsMVT skips the features ST_AsMVTGeom left out (NULL): filtering them here would
       -- make PostgreSQL compute every feature's tile geometry twice.
       (SELECT ST_AsMVT(mvt.*, CAST(:layer AS text), CAST(:extent AS int), 'geom', 'id')
        FROM mvt) AS tile
