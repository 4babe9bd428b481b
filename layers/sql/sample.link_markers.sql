-- Each red-line marker belongs to the nearest red line of its road in its district.
UPDATE red_line_markers m
SET red_line_id = (
  SELECT l.id FROM red_lines l
  WHERE l.road = m.road AND l.district = m.district
  ORDER BY l.geom <-> m.geom
  LIMIT 1
);
