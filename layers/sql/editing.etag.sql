-- A feature's strong ETag: a digest of its row version (xmin, ctid) and of the rows its output
-- joins. The marked places are filled from the catalogue (identifiers only).
SELECT /*version*/ FROM /*table*/ t WHERE t.id = :id;
