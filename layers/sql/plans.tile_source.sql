-- The stored sheet behind a plan's tiles (NULL for a vector plan), and when it was imported.
SELECT p.kind, p.file_path, p.created_at FROM plans p WHERE p.id = :plan_id;
