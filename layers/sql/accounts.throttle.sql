-- How many seconds a sign-in must still wait. The failures of an account since its last success
-- and those of an address, both within the last hour, are free up to an allowance; each one
-- beyond it doubles the wait counted from the latest failure, up to a cap.
WITH acc AS (
  SELECT count(*) AS n, max(a.at) AS last
  FROM login_attempts a
  WHERE a.name = lower(:name) AND NOT a.ok AND a.at > now() - interval '1 hour'
    AND a.at > coalesce((SELECT max(o.at) FROM login_attempts o
                         WHERE o.name = lower(:name) AND o.ok), '-infinity')
),
adr AS (
  SELECT count(*) AS n, max(a.at) AS last
  FROM login_attempts a
  WHERE a.address = :address AND NOT a.ok AND a.at > now() - interval '1 hour'
)
SELECT greatest(
  CASE WHEN acc.n >= :account_free THEN extract(epoch FROM acc.last - clock_timestamp())
       + least(CAST(:cap AS float8), CAST(:base AS float8) * 2 ^ (acc.n - :account_free)) END,
  CASE WHEN adr.n >= :address_free THEN extract(epoch FROM adr.last - clock_timestamp())
       + least(CAST(:cap AS float8), CAST(:base AS float8) * 2 ^ (adr.n - :address_free)) END,
  0) AS wait_s
FROM acc, adr;
