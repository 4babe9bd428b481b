-- (district, name) pairs of an import's rows that the layer already holds; :district and :name
-- are the pairs' two halves, each joined by chr(31) in the same order.
SELECT district, name
FROM wards
WHERE (district, name) IN (
  SELECT * FROM unnest(string_to_array(:district, chr(31)), string_to_array(:name, chr(31))));
