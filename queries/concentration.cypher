// title: Concentration of production by material, stage and year
// description: For each material (and each product or intermediate with national output, such as
//   NdPr oxide or magnets) and supply stage (mining, refining, separation, manufacturing)
//   the top producing country, its share of world output, the Herfindahl-Hirschman index and the
//   number of producing countries. The figures follow the latest-figure rule shared by every
//   query (docs/queries.md): the latest year, or the latest at or before `year`, with at least one
//   real figure for that item and stage (a W or NA row never hides an older figure); output
//   figures, with capacity used only where the stage has no output figure at all (`measure`
//   says which); an element without figures of its own at a stage takes its group's (member_of,
//   e.g. dysprosium from the magnet rare earths; `basis` = group and `group` names it). Shares are
//   national output over the source's world total (USGS "World total" rows), or over the sum of
//   the country figures where that sum exceeds a rounded world total, else the share the source
//   states. `china_share` is China's share (0 when it has no figure). HHI is the sum of squared
//   percentage shares (0-10 000); by the US DOJ/FTC 2023 Merger Guidelines a market above 1 800
//   is highly concentrated and 1 000-1 800 moderately concentrated; a single country at 50 % or
//   more is flagged on its own. `share_covered` is the part of the world total the listed
//   countries explain (at most 1); `reported_over_world` the country figures over the stated world
//   total before that cap (above 1 when the world total is rounded down); `single_reporter` flags a
//   share resting on one reporting country, and `coverage_note` explains both cases. Limits: only
//   country-level PRODUCES counts (firm and facility output is never added in), output only (basis
//   `output`: plant capacity is never presented as output); withheld (W) or
//   unavailable figures are left out, so HHI is a lower bound where `share_covered` is well below
//   1; undocumented (illegal) production is invisible.
// param material: string = null
// param stage: string = null
// param year: int = null
// param graph_size: list<int> = null
// returns: material, stage, year, top_country, top_share, hhi, producers, hhi_band,
//   single_country_majority, share_covered, material_id, top_iso3, sources, china_share, basis,
//   group, measure, single_reporter, reported_over_world, coverage_note
// table: material, stage, year, top_country, top_share, hhi, producers, hhi_band, basis
// The latest figures of every item and stage are derived when the graph is written
// (kg/store/derived.py, docs/architecture.md): read when they match the graph and no `year` is
// asked, else recomputed by the same rule. `graph_size` ([nodes, relationships]) is filled in
// by the runner; null recomputes.
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param material => null;
// :param stage => null;
// :param year => null;
// :param graph_size => null;
OPTIONAL MATCH (stamp:_Meta {id: 'derived:stamp'})
WITH coalesce(stamp.nodes = $graph_size[0] AND stamp.relationships = $graph_size[1]
              AND 'latest-figure' IN stamp.kinds, false)
       AND $year IS NULL AS derived
CALL {
  WITH derived
  UNWIND CASE WHEN derived THEN [1] ELSE [] END AS use
  MATCH (d:_Meta)
  WHERE d.derived = 'latest-figure' AND ($stage IS NULL OR d.stage = $stage)
    AND ($material IS NULL OR d.item = $material OR d.item = 'material:' + $material
         OR d.item = 'product:' + $material OR toLower(d.item_name) = toLower($material))
  RETURN d.item_name AS material, d.item AS material_id, d.stage AS stage, d.year AS year,
         d.measure AS measure, d.basis AS basis,
         CASE WHEN d.basis = 'group' THEN d.holder_name END AS group,
         d.stated_world AS stated_world, d.reported_total AS reported_total,
         d.reporters AS reporters, d.top_country AS top_country,
         substring(d.countries[0], 8) AS top_iso3, d.shares AS shares,
         coalesce(head([i IN range(0, size(d.countries) - 1)
                        WHERE substring(d.countries[i], 8) = 'CHN' | d.shares[i]]), 0.0)
           AS china_share,
         d.sources AS sources
  UNION ALL
  WITH derived
  UNWIND CASE WHEN derived THEN [] ELSE [1] END AS use
  MATCH (x)
  WHERE (x:Material OR x:Product)
    AND ($material IS NULL OR x.id = $material OR x.id = 'material:' + $material
         OR x.id = 'product:' + $material OR toLower(x.name) = toLower($material))
  // BEGIN fragment latest-figure() -- generated from queries/fragments/latest-figure.cypher.in
  UNWIND CASE WHEN size(coalesce(x.member_of, [])) = 0 THEN [null] ELSE x.member_of END AS gid
  OPTIONAL MATCH (grp:Material {id: gid})
  WITH DISTINCT x, grp
  CALL {
    WITH grp
    WITH grp
    WHERE grp IS NOT NULL
    MATCH (peer:Material)
    WHERE grp.id IN coalesce(peer.member_of, [])
    RETURN count(peer) AS members
  }
  WITH x, [{holder: x, rank: 0}]
       + collect(CASE WHEN grp IS NULL THEN null ELSE {holder: grp, rank: members} END) AS holders
  UNWIND holders AS hd
  WITH x, hd.holder AS holder, hd.rank AS rank
  MATCH (c:Country)-[pr:PRODUCES]->(holder)
  WITH x, holder, rank, pr.stage AS stage, pr.year AS yr,
       coalesce(pr.basis, 'output') = 'capacity' AS capacity,
       count(CASE WHEN pr.quantity IS NOT NULL OR pr.share IS NOT NULL THEN 1 END) AS real,
       max(pr.world_quantity) AS stated_world, sum(pr.quantity) AS reported_total,
       collect({c: c, pr: pr}) AS rows
  ORDER BY rank, holder.id, capacity, yr DESC
  WHERE real > 0 AND stage IS NOT NULL AND yr IS NOT NULL AND ($year IS NULL OR yr <= $year)
  WITH x, stage,
       head(collect({holder: holder, yr: yr, capacity: capacity, stated_world: stated_world,
                     reported_total: reported_total, rows: rows})) AS pick
  WITH x, stage, pick.holder AS holder, pick.yr AS yr,
       CASE WHEN pick.capacity THEN 'capacity' ELSE 'output' END AS measure,
       pick.stated_world AS stated_world, pick.reported_total AS reported_total, pick.rows AS rows
  WITH x, stage, yr, measure, holder, stated_world, reported_total, rows,
       CASE WHEN stated_world IS NULL THEN null
            WHEN reported_total > stated_world THEN reported_total ELSE stated_world END AS world
  WITH x, stage, yr, measure, holder, stated_world, reported_total, world,
       CASE WHEN holder = x THEN 'own' ELSE 'group' END AS basis,
       [r IN rows | {c: r.c, pr: r.pr, share: coalesce(
         toFloat(r.pr.quantity) / world, r.pr.share,
         CASE WHEN reported_total > 0 THEN toFloat(r.pr.quantity) / reported_total END)}] AS figures
  WITH x, stage, yr, measure, holder, stated_world, reported_total, world, basis, figures,
       size([f IN figures WHERE f.share IS NOT NULL]) AS reporters
  // END fragment latest-figure
  WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, reporters, figures
  WHERE $stage IS NULL OR stage = $stage
  UNWIND figures AS f
  WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, reporters,
       f.c AS c, f.pr AS p, f.share AS share
  WHERE share IS NOT NULL
  WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, reporters, c, p, share
  ORDER BY share DESC, c.id
  WITH x, stage, yr, measure, basis, holder, stated_world, reported_total, reporters,
       collect({name: c.name, iso3: substring(c.id, 8), share: share}) AS producers,
       collect(p.source_ids) AS source_lists
  RETURN x.name AS material, x.id AS material_id, stage, yr AS year, measure, basis,
         CASE WHEN basis = 'group' THEN holder.name END AS group, stated_world, reported_total,
         reporters, producers[0].name AS top_country, producers[0].iso3 AS top_iso3,
         [pd IN producers | pd.share] AS shares,
         coalesce(head([pd IN producers WHERE pd.iso3 = 'CHN' | pd.share]), 0.0) AS china_share,
         reduce(acc = [], s IN source_lists | acc + [sid IN s WHERE NOT sid IN acc]) AS sources
}
WITH material, material_id, stage, year, measure, basis, group, stated_world, reported_total,
     reporters, top_country, top_iso3, shares, china_share, sources,
     reduce(h = 0.0, s IN shares | h + s * s) * 10000.0 AS hhi,
     reduce(t = 0.0, s IN shares | t + s) AS covered
RETURN material, stage, year, top_country, shares[0] AS top_share, hhi,
       size(shares) AS producers,
       CASE WHEN hhi > 1800 THEN 'highly concentrated'
            WHEN hhi >= 1000 THEN 'moderately concentrated'
            ELSE 'unconcentrated' END AS hhi_band,
       shares[0] >= 0.5 AS single_country_majority,
       covered AS share_covered, material_id, top_iso3, sources, china_share,
       basis, group, measure,
       reporters = 1 AS single_reporter,
       CASE WHEN stated_world > 0 THEN toFloat(reported_total) / stated_world END
         AS reported_over_world,
       CASE WHEN stated_world > 0 AND reported_total > stated_world
              THEN 'country figures exceed the stated (rounded) world total: shares are over their sum'
            WHEN reporters = 1
              THEN 'one reporting country: no other producer is measured at this stage and year'
       END AS coverage_note
ORDER BY hhi DESC, material, stage
