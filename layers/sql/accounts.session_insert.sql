-- A browser session (digests of its cookie and its CSRF token); expired ones are swept here.
WITH swept AS (DELETE FROM sessions WHERE expires_at < now() - interval '1 day')
INSERT INTO sessions (id_hash, user_id, csrf_hash, expires_at, address)
VALUES (:id_hash, :user_id, :csrf_hash,
        now() + make_interval(secs => CAST(:seconds AS float8)), :address);
