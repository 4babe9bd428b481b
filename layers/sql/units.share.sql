-- The shares of area between a new unit and an old one, from their boundaries.
SELECT s.shared_m2, s.predecessor_share, s.successor_share
FROM unit_succession_shares s
WHERE s.successor_id = :successor_id AND s.predecessor_id = :predecessor_id;
