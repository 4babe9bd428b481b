-- The last time any of the shown layers (a text array of layer ids) changed.
SELECT max(v.changed_at)
FROM layer_versions v
WHERE v.layer = ANY(CAST(:layers AS text[]));
