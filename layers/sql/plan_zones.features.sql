-- Land-use zones of the approved 1/2000 zoning plans, with their plan and land-use names.
SELECT z.id, z.plan_id, p.name AS plan_name, p.decision, z.code, u.name_vi AS land_use,
       u.name_en AS land_use_en, u.color, z.name, z.building_density_pct, z.max_floors,
       z.floor_area_ratio, round((z.area_m2 / 10000)::numeric, 4) AS area_ha, z.geom
FROM plan_zones z
JOIN plans p ON p.id = z.plan_id
JOIN land_uses u ON u.code = z.code
