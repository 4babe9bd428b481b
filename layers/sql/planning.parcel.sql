-- The parcel a reference names: its id, its cadastral reference (map sheet and parcel number;
-- the lowest id when several plans share it) or its code. No row when there is none.
SELECT pa.id
FROM parcels pa
WHERE pa.id = CAST(:id AS integer)
   OR (pa.map_sheet = CAST(:sheet AS integer) AND pa.parcel_no = CAST(:parcel_no AS integer))
   OR pa.code = CAST(:code AS text)
ORDER BY (pa.id = CAST(:id AS integer)) IS TRUE DESC, pa.id
LIMIT 1;
