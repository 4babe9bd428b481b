-- A personal access token: only its digest is kept, and a prefix to name it by.
INSERT INTO api_tokens (user_id, prefix, token_hash, expires_at)
VALUES (:user_id, :prefix, :token_hash, now() + make_interval(days => CAST(:days AS int)))
RETURNING id, expires_at;
