-- One imported plan; the footprint arrives as hex EWKB carrying the storage SRID.
INSERT INTO plans (name, decision, approved_on, scale, kind, source_format, source_name,
                   source_crs, file_path, georef, is_sample, footprint)
VALUES (:name, :decision, :approved_on, :scale, :kind, :fmt, :source, :crs, :file_path,
        CAST(:georef AS jsonb), :sample, ST_GeomFromEWKB(decode(:fp, 'hex')))
RETURNING id;
