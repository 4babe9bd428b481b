-- Every unit below the city, old and new, with its validity and parent: what a unit picker lists.
SELECT u.id, u.level, u.name, u.parent_id, u.valid_from, u.valid_to
FROM admin_units u
WHERE u.level IN ('district', 'ward', 'commune')
ORDER BY u.name COLLATE "vi-x-icu", u.valid_from, u.id;
