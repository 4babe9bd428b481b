-- One administrative unit; the district it belongs to for the pages' defaults (itself, its
-- parent district, or, for a unit formed later, the former district that gave it most of its
-- area); and the units that succeeded it.
SELECT u.id, u.level, u.name, u.parent_id, u.valid_from, u.valid_to,
       CASE WHEN u.level = 'district' THEN u.id ELSE coalesce(
         (SELECT par.id FROM admin_units par WHERE par.id = u.parent_id AND par.level = 'district'),
         (SELECT CASE WHEN pu.level = 'district' THEN pu.id ELSE pu.parent_id END
          FROM unit_succession_shares s JOIN admin_units pu ON pu.id = s.predecessor_id
          WHERE s.successor_id = u.id AND pu.level IN ('district', 'ward', 'commune')
          ORDER BY (pu.level = 'district') DESC, s.shared_m2 DESC, pu.id LIMIT 1)) END
         AS district,
       (SELECT coalesce(json_agg(json_build_object(
                  'id', n.id, 'level', n.level, 'name', n.name, 'valid_from', n.valid_from,
                  'valid_to', n.valid_to) ORDER BY n.name COLLATE "vi-x-icu", n.id), '[]'::json)
        FROM unit_succession s JOIN admin_units n ON n.id = s.successor_id
        WHERE s.predecessor_id = u.id)::text AS successors
FROM admin_units u
WHERE u.id = :id;
