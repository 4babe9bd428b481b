-- Disable an account and end its browser sessions (its tokens stop working with it).
WITH u AS (UPDATE users SET disabled = true WHERE id = :user_id RETURNING id)
DELETE FROM sessions s USING u WHERE s.user_id = u.id;
