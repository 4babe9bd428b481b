-- A written geometry checked by PostGIS: valid (else the reason and where, in the sent CRS),
-- then in the storage grid (a single part promoted to a multi) and inside Hanoi's envelope.
WITH g AS (
  SELECT ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), :srid) AS sent
), d AS (
  SELECT g.sent, ST_IsValidDetail(g.sent) AS v FROM g
), s AS (
  SELECT d.*,
         CASE WHEN (d.v).valid THEN
           CASE WHEN :multi THEN ST_Multi(ST_Transform(d.sent, :storage))
                ELSE ST_Transform(d.sent, :storage) END
         END AS stored
  FROM d
)
SELECT (s.v).valid AS valid, (s.v).reason AS reason,
       ST_X((s.v).location) AS loc_x, ST_Y((s.v).location) AS loc_y,
       s.stored IS NOT NULL AND ST_IsValid(s.stored) AND ST_CoveredBy(s.stored,
         ST_Transform(ST_MakeEnvelope(:xmin, :ymin, :xmax, :ymax, :hanoi_srid), :storage))
         AS inside,
       encode(ST_AsEWKB(s.stored), 'hex') AS ewkb,
       CASE WHEN GeometryType(s.stored) = 'POINT' THEN ST_X(s.stored) END AS x,
       CASE WHEN GeometryType(s.stored) = 'POINT' THEN ST_Y(s.stored) END AS y
FROM s;
