-- One account by name (case-insensitive), with the units of its scope.
SELECT u.id, u.name, u.role, u.disabled, u.password_hash, u.created_at,
       ARRAY(SELECT s.unit_id FROM user_scopes s WHERE s.user_id = u.id ORDER BY s.unit_id)
         AS units
FROM users u
WHERE lower(u.name) = lower(CAST(:name AS text));
