-- Put back a deleted feature from its audit snapshot, with its id. The marked places are filled
-- from the registry and the table's catalogue: table, geometry column, writable columns.
INSERT INTO /*table*/ (/*columns*/)
SELECT /*values*/
FROM jsonb_populate_record(NULL::/*table*/, CAST(:properties AS jsonb)) r
RETURNING id;
