-- Delete one plan (its zones and labels go with it); the stored sheet's path is returned.
DELETE FROM plans WHERE id = :id RETURNING file_path;
