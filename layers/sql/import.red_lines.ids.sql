-- Which of the ids an import's rows refer to (:ids, an integer array) exist in red_lines.
SELECT id FROM red_lines WHERE id = ANY(:ids);
