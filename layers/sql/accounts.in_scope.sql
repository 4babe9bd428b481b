-- Whether a geometry (hex EWKB in the storage SRID) lies in one of a user's administrative
-- units, by the rule the figures use: a project when their interiors intersect, a parcel when
-- its point on surface lies inside, a plan sheet when the units cover it (all but 1 % of its
-- area, for the margin around a drawing), any other feature when they intersect.
WITH g AS (SELECT ST_GeomFromEWKB(decode(CAST(:geom AS text), 'hex')) AS g),
u AS (
  SELECT a.geom
  FROM user_scopes s JOIN admin_units a ON a.id = s.unit_id, g
  WHERE s.user_id = :user_id AND a.geom && g.g
)
SELECT coalesce(CASE CAST(:rule AS text)
  WHEN 'interior' THEN EXISTS (SELECT 1 FROM u, g WHERE ST_Relate(u.geom, g.g, 'T********'))
  WHEN 'point' THEN EXISTS (SELECT 1 FROM u, g
                            WHERE ST_Contains(u.geom, ST_PointOnSurface(g.g)))
  WHEN 'covered' THEN (SELECT ST_Area(ST_Difference(g.g, ST_Union(u.geom)))
                                <= 0.01 * ST_Area(g.g)
                       FROM u, g GROUP BY g.g)
  ELSE EXISTS (SELECT 1 FROM u, g WHERE ST_Intersects(u.geom, g.g))
END, false) AS inside;
