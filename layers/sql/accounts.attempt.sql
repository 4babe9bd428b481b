-- One sign-in attempt; attempts older than a day are swept here.
WITH swept AS (DELETE FROM login_attempts WHERE at < now() - interval '1 day')
INSERT INTO login_attempts (name, address, ok) VALUES (lower(:name), :address, :ok);
