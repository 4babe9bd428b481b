-- Whether any plan still uses a stored sheet.
SELECT EXISTS (SELECT 1 FROM plans WHERE file_path = :p);
