INSERT INTO user_scopes (user_id, unit_id) VALUES (:user_id, :unit_id) ON CONFLICT DO NOTHING;
