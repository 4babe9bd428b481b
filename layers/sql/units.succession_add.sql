-- That a new unit took (the whole or part of) an old one; adding it again updates `whole`.
INSERT INTO unit_succession (successor_id, predecessor_id, whole)
VALUES (:successor_id, :predecessor_id, :whole)
ON CONFLICT (successor_id, predecessor_id) DO UPDATE SET whole = excluded.whole;
