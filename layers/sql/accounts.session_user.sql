-- The account of a live session, with the digest of the session's CSRF token.
SELECT u.id, u.name, u.role, s.csrf_hash,
       ARRAY(SELECT us.unit_id FROM user_scopes us WHERE us.user_id = u.id ORDER BY us.unit_id)
         AS units
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id_hash = :id_hash AND s.expires_at > now() AND NOT u.disabled;
