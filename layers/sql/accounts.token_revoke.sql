-- Revoke a token by its id or its prefix (a revoked one stays revoked, at its first time).
UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())
WHERE (CAST(:id AS int) IS NOT NULL AND id = CAST(:id AS int)) OR prefix = CAST(:ref AS text)
RETURNING id, prefix, user_id;
