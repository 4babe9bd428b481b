-- The data version of each named layer (a text array of layer ids), bumped by every write to
-- it; 0 for a layer never written. Tile URLs carry it, so a new version is a new URL.
SELECT l.layer, coalesce(v.version, 0) AS version
FROM unnest(CAST(:layers AS text[])) AS l(layer)
LEFT JOIN layer_versions v ON v.layer = l.layer;
