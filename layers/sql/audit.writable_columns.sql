-- The columns of a table a row can be written into: neither generated nor dropped.
SELECT a.attname
FROM pg_attribute a
WHERE a.attrelid = to_regclass(CAST(:table AS text)) AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = ''
ORDER BY a.attnum;
