// Concentration of production by material, stage and year
// Chokepoint stored query queries/concentration.cypher (kg query concentration); the :param lines set its defaults.
:param material => null;
:param stage => null;
:param year => null;

// title: Concentration of production by material, stage and year
// description: For each material (and each product or intermediate with national output, such as
//   NdPr oxide or magnets) and supply stage (mining, refining, separation, manufacturing)
//   the top producing country, its share of world output, the Herfindahl-Hirschman index and the
//   number of producing countries. Shares are national output over the source's world total
//   (USGS "World total" rows) where the graph has quantities, else the share the source states.
//   HHI is the sum of squared percentage shares (0-10 000); by the US DOJ/FTC 2023 Merger
//   Guidelines a market above 1 800 is highly concentrated and 1 000-1 800 moderately
//   concentrated; a single country at 50 % or more is flagged on its own. With no year given the
//   latest year with at least one figure (not only W/NA qualifiers) for that material and stage
//   is used. Limits: only country-level
//   PRODUCES counts (firm and facility output is never added in), output only (basis `output`:
//   plant capacity is never presented as output); withheld (W) or unavailable
//   figures are left out, so HHI is a lower bound where `share_covered` is well below 1;
//   undocumented (illegal) production is invisible.
// param material: string = null
// param stage: string = null
// param year: int = null
// returns: material, stage, year, top_country, top_share, hhi, producers, hhi_band,
//   single_country_majority, share_covered, material_id, top_iso3, sources
// table: material, stage, year, top_country, top_share, hhi, producers, hhi_band
MATCH (:Country)-[p:PRODUCES {basis: 'output'}]->(m)
WHERE (m:Material OR m:Product)
  AND ($material IS NULL OR m.id = $material OR m.id = 'material:' + $material
       OR m.id = 'product:' + $material OR toLower(m.name) = toLower($material))
  AND ($stage IS NULL OR p.stage = $stage)
  AND ($year IS NULL OR p.year = $year)
  AND (p.quantity IS NOT NULL OR p.share IS NOT NULL)
WITH m, p.stage AS stage, max(p.year) AS year
MATCH (c:Country)-[p:PRODUCES {basis: 'output'}]->(m)
WHERE p.stage = stage AND p.year = year
WITH m, stage, year, max(p.world_quantity) AS world, sum(p.quantity) AS total,
     collect({c: c, p: p}) AS rows
UNWIND rows AS row
WITH m, stage, year, row.c AS c, row.p AS p,
     coalesce(toFloat(row.p.quantity) / world, row.p.share,
              CASE WHEN total > 0 THEN toFloat(row.p.quantity) / total END) AS share
WHERE share IS NOT NULL
WITH m, stage, year, c, p, share
ORDER BY share DESC, c.id
WITH m, stage, year,
     collect({name: c.name, iso3: substring(c.id, 8), share: share}) AS producers,
     sum(share * share) * 10000.0 AS hhi, sum(share) AS covered,
     collect(p.source_ids) AS source_lists
RETURN m.name AS material, stage, year,
       producers[0].name AS top_country, producers[0].share AS top_share, hhi,
       size(producers) AS producers,
       CASE WHEN hhi > 1800 THEN 'highly concentrated'
            WHEN hhi >= 1000 THEN 'moderately concentrated'
            ELSE 'unconcentrated' END AS hhi_band,
       producers[0].share >= 0.5 AS single_country_majority,
       covered AS share_covered, m.id AS material_id, producers[0].iso3 AS top_iso3,
       reduce(acc = [], s IN source_lists | acc + [x IN s WHERE NOT x IN acc]) AS sources
ORDER BY hhi DESC, material, stage
