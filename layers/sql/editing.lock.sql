-- A feature locked for a write (a concurrent writer waits, then sees the new version): its
-- ETag, its stored columns and its geometry (hex EWKB). Marked places filled from the catalogue.
SELECT /*version*/ AS etag, to_jsonb(t) - 'geom' AS props,
       encode(ST_AsEWKB(t.geom), 'hex') AS geom
FROM /*table*/ t
WHERE t.id = :id
FOR UPDATE OF t;
