-- The account behind a token's digest, and why the token no longer works when it does not;
-- its last use is written at most once a minute.
WITH t AS (
  SELECT t.id, t.expires_at, t.revoked_at, t.last_used_at, t.expires_at <= now() AS expired,
         u.id AS user_id, u.name, u.role, u.disabled
  FROM api_tokens t JOIN users u ON u.id = t.user_id
  WHERE t.token_hash = :token_hash
),
touched AS (
  UPDATE api_tokens a SET last_used_at = now()
  FROM t
  WHERE a.id = t.id AND t.revoked_at IS NULL AND NOT t.expired AND NOT t.disabled
    AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
  RETURNING a.id
)
SELECT t.*, ARRAY(SELECT s.unit_id FROM user_scopes s WHERE s.user_id = t.user_id
                  ORDER BY s.unit_id) AS units
FROM t;
