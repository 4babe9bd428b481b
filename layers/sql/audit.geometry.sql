-- A feature's stored geometry as hex EWKB (marked places filled from the registry).
SELECT encode(ST_AsEWKB(t./*geom*/), 'hex') FROM /*table*/ t WHERE t.id = :id;
