-- Which of the given administrative unit ids exist (NULL when there is no units table yet).
SELECT CASE WHEN to_regclass('admin_units') IS NULL THEN NULL
            ELSE (SELECT coalesce(array_agg(a.id ORDER BY a.id), '{}')
                  FROM admin_units a WHERE a.id = ANY(CAST(:units AS text[]))) END AS known;
