-- The ids of the projects an import's rows name by code (:codes: the codes joined by chr(31)).
SELECT code, id FROM projects WHERE code = ANY(string_to_array(:codes, chr(31)));
