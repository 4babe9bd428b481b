-- The red lines whose corridor may hold part of a parcel: a corridor lies within the convex hull
-- of its red line's two sides.
SELECT l.id
FROM red_lines l, parcels pa
WHERE pa.id = :parcel_id AND l.geom && pa.geom
  AND ST_Intersects(ST_ConvexHull(l.geom), pa.geom)
ORDER BY l.id;
