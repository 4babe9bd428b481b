-- The units a unit came from and the units it went to, with the shares of area computed from
-- the boundaries: of a predecessor, the share of its area that went to the unit; of a
-- successor, the share of the unit's area that went to it.
SELECT 'predecessor' AS role, a.id, a.level, a.name, a.valid_from, a.valid_to, s.whole,
       s.predecessor_share AS share, round((s.shared_m2 / 10000)::numeric, 4)::float8 AS shared_ha
FROM unit_succession_shares s JOIN admin_units a ON a.id = s.predecessor_id
WHERE s.successor_id = :id
UNION ALL
SELECT 'successor', a.id, a.level, a.name, a.valid_from, a.valid_to, s.whole,
       s.predecessor_share, round((s.shared_m2 / 10000)::numeric, 4)::float8
FROM unit_succession_shares s JOIN admin_units a ON a.id = s.successor_id
WHERE s.predecessor_id = :id
ORDER BY 1, 3, 4, 2;
