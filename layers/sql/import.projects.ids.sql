-- Which of the ids an import's rows refer to (:ids, an integer array) exist in projects.
SELECT id FROM projects WHERE id = ANY(:ids);
