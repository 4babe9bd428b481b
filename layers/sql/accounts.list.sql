-- Every account with its scope and its live tokens, by name.
SELECT u.id, u.name, u.role, u.disabled, u.created_at,
       ARRAY(SELECT s.unit_id FROM user_scopes s WHERE s.user_id = u.id ORDER BY s.unit_id)
         AS units,
       (SELECT count(*) FROM api_tokens t
        WHERE t.user_id = u.id AND t.revoked_at IS NULL AND t.expires_at > now()) AS tokens
FROM users u
ORDER BY lower(u.name);
