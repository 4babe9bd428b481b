-- Which of the given ids are already units.
SELECT u.id FROM admin_units u WHERE u.id = ANY(CAST(:ids AS text[]));
