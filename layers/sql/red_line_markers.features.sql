-- Red-line markers; northing/easting are the VN-2000 coordinates exactly as surveyed.
SELECT m.id, m.code, m.district, m.road, m.red_line_id, m.status, m.surveyed_on,
       m.northing_m, m.easting_m, m.geom
FROM red_line_markers m
