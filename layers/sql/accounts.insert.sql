-- A new account; its scope is written apart (accounts.scope_add.sql).
INSERT INTO users (name, password_hash, role) VALUES (:name, :password_hash, :role)
RETURNING id;
