DELETE FROM user_scopes WHERE user_id = :user_id;
