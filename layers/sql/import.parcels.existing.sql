-- Codes of an import's rows that the layer already holds (:code: the codes joined by chr(31)).
SELECT code
FROM parcels
WHERE (code) IN (SELECT * FROM unnest(string_to_array(:code, chr(31))));
