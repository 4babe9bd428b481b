-- One administrative unit from an import; an existing id is replaced only when asked (the
-- caller refuses existing ids otherwise). Polygons are stored as MultiPolygons.
INSERT INTO admin_units AS u (id, level, name, parent_id, valid_from, valid_to, geom)
VALUES (:id, :level, :name, :parent_id, :valid_from, :valid_to,
        ST_Multi(ST_GeomFromEWKB(decode(:geom, 'hex'))))
ON CONFLICT (id) DO UPDATE
  SET level = excluded.level, name = excluded.name, parent_id = excluded.parent_id,
      valid_from = excluded.valid_from, valid_to = excluded.valid_to, geom = excluded.geom
  WHERE CAST(:replace AS boolean);
