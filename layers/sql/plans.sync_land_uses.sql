-- Mirror the land-use vocabulary (layers/landuse.py) into land_uses: new codes, renamed or
-- recoloured ones; rows that did not change are left alone (no new row version).
INSERT INTO land_uses (code, name_vi, name_en, color, sort_order)
VALUES (:code, :name_vi, :name_en, :color, :sort_order)
ON CONFLICT (code) DO UPDATE
  SET name_vi = excluded.name_vi, name_en = excluded.name_en, color = excluded.color,
      sort_order = excluded.sort_order
  WHERE (land_uses.name_vi, land_uses.name_en, land_uses.color, land_uses.sort_order)
        IS DISTINCT FROM (excluded.name_vi, excluded.name_en, excluded.color, excluded.sort_order);
