-- The schema revision(s) the database is at (one per migration branch).
SELECT coalesce(string_agg(version_num, ',' ORDER BY version_num), '') FROM alembic_version;
