// title: Direct and look-through dependence on China
// description: For an importer (default the United States) and each good it imports (a product or
//   material with HS codes in the graph): `direct_share` is China's share of the importer's TOTAL
//   imports of the good's HS codes, by value: the importer's IMPORTS totals (all partners; BACI
//   sums, Census/Comtrade world rows, cited totals) for the good's codes in the latest year that
//   has one (or the latest at or before `year`), the importer's own report preferred, then mirror
//   data; the partner flows are those of the same codes, year and basis. Exporters' reports
//   (flow_basis `exports`, such as US exports to each partner) are not read as the importer's
//   inflows, so they add no good to its list.
//   Partner shares are never divided by the sum of the partners the graph happens to have:
//   `coverage` = known partners' value over the total, `unexplained_share` = the part of the total
//   no known partner explains (reported, not spread over the known partners). A good with partner
//   flows but no total shows null shares, unless USGS states the importer's sources for it: a
//   material without an import total for its codes (or without HS codes) takes the USGS import
//   sources (IMPORT_RELIANCE of the latest edition that gives shares, at or before `year`): each
//   named source's stated share of the importer's imports, `direct_share` China's stated share (0
//   when China is not named), `coverage` = 1 - the "Other countries" remainder (or 1 - the named
//   shares where the remainder is not given), `unexplained_share` = that remainder, `year` the
//   last year of the period, `flow_basis` = `usgs-import-sources PERIOD` (e.g. 2021-2024), no
//   values in US$; the look-through runs over the named sources as over trade partners. USGS
//   shares span several years and are USGS's own measure of imports, so they are not one year's
//   customs values: trade stays primary where it has a total, and `usgs_china_share` and
//   `usgs_period` show China's USGS share beside it as a cross-check (null for goods USGS does
//   not cover; 0 when USGS names other sources only). `lookthrough_share` = s_CHN + sum over
//   other suppliers k of s_k * c_k, capped at 1, where s_k is k's share of the total and c_k the
//   China content of k
//   for the good: the largest, over the inputs the good REQUIRES (transitively, up to `max_depth`
//   levels, no cycles), of the Chinese share of that input's supply in k. That share is read from
//   k's own imports of the input where the graph has them (an element without HS codes uses its
//   group's codes, member_of): China's flows over k's IMPORTS total of the input's codes (by value,
//   else by weight), or a share a source states; the latest year first, then annual before
//   monthly, value before weight before a stated share; codes one level coarser than the input's
//   count (a rare-earths basket for neodymium). A supplier with neither an import total nor a
//   stated share of its own for the input takes those of a country group it is a member of (the
//   EU-27's, `country:EU27`, docs/trade.md "Country groups"), and `via` says so (`reported_by`:
//   `country:EU27`); the EU's figures are its extra-EU imports only, so trade between members
//   (a French import of Chinese metal through the Netherlands) is not in them. Where neither k's
//   imports nor its group's are known it is China's share
//   of world output at the stage the input comes from (REQUIRES.stage, or else the most processed
//   stage that has a figure: mining < separation < refining < manufacturing), by the latest-figure
//   rule every query shares (docs/queries.md: a W/NA row never hides an older figure, output
//   before capacity, an element without figures takes its group's: basis `world (group)`), so it
//   equals `concentration`'s china_share for that input and stage. Ownership counts:
//   output of a facility or firm in k that a Chinese firm or the Chinese state owns is Chinese,
//   weighted by the ownership share multiplied along the chain (latest stake of each owner-asset
//   pair; unknown shares count as 1), over k's latest national output figure of that input at that
//   stage; the good's own output in k counts the same way. An input's Chinese share is the larger of the trade-or-world figure and the ownership
//   figure. `via` lists the paths behind the number (supplier, its share, the input that sets c_k,
//   the stage, the Chinese share, its basis, the period, code, confidence and group reporter of
//   the trade figure, and s_k*c_k), largest first; low-confidence (L) figures say so. A leg
//   whose Chinese share rests on China's separation or refining (basis trade or world) carries
//   `china_feedstock`, information that does not change the numbers (the chokepoint is still
//   the Chinese stage): `imported_min` = 1 - China's output at the stage below over its output
//   at the leg's stage (same figures: the input's or its group's, `figures_of`, same year and
//   unit; e.g. IEA 2024 magnet rare earths, mined 45,800 t, separated 73,800 t: 0.379), the least
//   share of China's feedstock that is not its own output that year (imports, or stocks and
//   recycling), and `source` China's largest foreign source of the input's codes (the largest
//   annual flow into China in the latest year, by weight, else value; exporters' reports not
//   counted) with its period, quantity, basis, HS code and confidence (Burma's rare-earth
//   exports, low confidence). Null where China has no output quantity at both stages. `caveat` names other items that
//   share the good's HS code (811292 is gallium, germanium, indium, niobium and vanadium at once)
//   and the code's scope notes (HS 2017 vs HS 2022). Reading it: this is a weakest-link,
//   upper-bound measure (one input fully Chinese makes the whole supplier count as Chinese), not a
//   value-added (Leontief) measure such as Baldwin, Freeman and Theodorakopoulos (2023); a wide
//   gap between direct and look-through shows hidden dependence through third countries. Limits:
//   only goods with HS codes and import flows, or with USGS import sources, appear; trade coarser than the good's code is not
//   counted in its direct share (see classification-gaps); Hong Kong (HKG) is a separate supplier;
//   re-exports, stocks and unrecorded trade are invisible; an input with no production data and no
//   trade counts as 0.
// param importer: string = "USA"
// param item: string = null
// param year: int = null
// param max_depth: int = 4
// returns: item, direct_share, lookthrough_share, via, hidden_share, year, import_value_usd,
//   suppliers, flow_basis, item_id, importer, coverage, unexplained_share, known_value_usd,
//   hs_codes, caveat, usgs_china_share, usgs_period
// table: item, direct_share, lookthrough_share, hidden_share, coverage, year, caveat
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param importer => 'USA';
// :param item => null;
// :param year => null;
// :param max_depth => 4;

// The importer's inflows, read once: (code, year, basis) -> flows; annual figures with a value.
// Exporters' reports (flow_basis 'exports', e.g. US domestic exports to each partner) are not
// inflows the importer reported, and no import total has that basis: they would only add goods
// with null shares (as in exposure-trend and export-control-impact, docs/trade.md).
MATCH (imp:Country)
WHERE imp.id = $importer OR imp.id = 'country:' + $importer
CALL {
  WITH imp
  OPTIONAL MATCH (k:Country)-[e:EXPORTS_TO]->(imp)
  WHERE e.value_usd IS NOT NULL AND coalesce(e.month, 0) = 0 AND ($year IS NULL OR e.year <= $year)
    AND coalesce(e.flow_basis, '') <> 'exports'
  WITH imp, e.hs_code AS code,
       collect({k: k, y: e.year, h: e.hs_code, basis: e.flow_basis, v: e.value_usd}) AS flows
  RETURN collect(CASE WHEN code IS NULL THEN null ELSE {code: code, flows: flows} END) AS inflows
}
// The USGS import sources of each material (IMPORT_RELIANCE: the ranked sources with their shares
// and the "Other countries" remainder, over a period such as 2021-2024), from the latest edition
// that gives shares: the denominator where the graph has no import total for the good's codes.
CALL {
  WITH imp
  OPTIONAL MATCH (imp)-[ir:IMPORT_RELIANCE]->(um:Material)
  WHERE size(coalesce(ir.source_shares, [])) > 0 AND ($year IS NULL OR ir.year <= $year)
  WITH imp, um, max(ir.year) AS uy
  OPTIONAL MATCH (imp)-[ir:IMPORT_RELIANCE]->(um)
  WHERE ir.year = uy
  UNWIND range(0, size(coalesce(ir.sources, [])) - 1) AS i
  OPTIONAL MATCH (src:Country)
  WHERE src.id = 'country:' + ir.sources[i]
  WITH um, ir, reduce(s = 0.0, v IN coalesce(ir.source_shares, []) | s + v) AS named_sum,
       collect(CASE WHEN src IS NULL THEN null ELSE {k: src, v: toFloat(ir.source_shares[i])} END)
         AS named
  RETURN collect(CASE WHEN ir IS NULL THEN null ELSE {
           m: um, named: named, period: coalesce(ir.sources_period, toString(ir.year)),
           year: CASE WHEN ir.sources_period IS NULL THEN ir.year
                      ELSE toInteger(right(ir.sources_period, 4)) END,
           other: coalesce(ir.other_share, CASE WHEN named_sum < 1.0 THEN 1.0 - named_sum ELSE 0.0 END),
           cn: coalesce(head([n IN named WHERE n.k.id = 'country:CHN' | n.v]), 0.0)} END) AS usgs
}
// ... and its annual import totals (the denominators), also read once.
WITH imp, inflows, usgs,
     [(imp)-[t:IMPORTS]->(ht) WHERE t.value_usd IS NOT NULL AND coalesce(t.month, 0) = 0
        AND ($year IS NULL OR t.year <= $year)
      | {code: ht.code, y: t.year, basis: t.flow_basis, v: t.value_usd,
         notes: CASE WHEN t.hs_version IS NOT NULL AND t.hs_version <> 'HS2022' THEN t.notes END,
         b: CASE t.flow_basis WHEN 'imports' THEN 1 WHEN 'mirror' THEN 2 ELSE 3 END}] AS itotals
// The goods: every product or material classified under an inflow's HS code or one of its parent
// codes (each inflow code looked up with its prefixes by id, not every code against every good),
// with the inflows it carries; and every material with USGS import sources.
CALL {
  WITH inflows
  WITH [b IN inflows | b.code] AS icodes
  UNWIND range(0, size(icodes) - 1) AS i
  WITH i, icodes[i] AS code
  UNWIND [n IN range(2, size(code)) | 'hs:' + left(code, n)] AS hid
  MATCH (h:HSCode {id: hid})
  // (from the code found, not from every product and material)
  WITH i, h
  MATCH (h)<-[:CLASSIFIED_AS]-(cg)
  WHERE cg:Product OR cg:Material
  WITH DISTINCT cg, i
  WITH cg, collect(i) AS idx
  RETURN collect({g: cg, idx: idx}) AS gins
}
// (Filtered before the UNWIND: every projection of a row copies the big lists it carries.)
UNWIND [x IN gins + [u IN usgs WHERE NOT any(x IN gins WHERE x.g = u.m) | {g: u.m, idx: []}]
        WHERE $item IS NULL OR x.g.id = $item OR x.g.id = 'product:' + $item
           OR x.g.id = 'material:' + $item OR toLower(x.g.name) = toLower($item)] AS gc
WITH imp, itotals, gc.g AS g, [i IN gc.idx | inflows[i]] AS gin,
     head([u IN usgs WHERE u.m = gc.g]) AS usgs
// The good's codes, and the other items classified under the same codes (their trade is shared).
WITH imp, itotals, g, gin, usgs, [(g)-[:CLASSIFIED_AS]->(h:HSCode) | h.code] AS codes,
     [(g)-[:CLASSIFIED_AS]->(:HSCode)<-[:CLASSIFIED_AS]-(o) WHERE o <> g AND (o:Product OR o:Material)
      | o.name] AS others
WITH imp, itotals, g, gin, usgs, codes,
     reduce(acc = [], n IN others | CASE WHEN n IN acc THEN acc ELSE acc + [n] END) AS sharers
// The importer's totals of the good's codes: the latest year that has one, per code the best basis.
WITH imp, g, codes, usgs, sharers, gin,
     [t IN itotals WHERE any(c IN codes WHERE t.code STARTS WITH c)] AS totals
WITH imp, g, codes, usgs, sharers, gin, totals,
     reduce(y = null, t IN totals | CASE WHEN y IS NULL OR t.y > y THEN t.y ELSE y END) AS year
WITH imp, g, codes, usgs, sharers, gin, year, [t IN totals WHERE t.y = year] AS ty
WITH imp, g, codes, usgs, sharers, gin, year,
     [t IN ty WHERE NOT any(u IN ty WHERE u.code = t.code AND u.b < t.b)] AS chosen
WITH imp, g, codes, usgs, sharers, year, chosen,
     reduce(s = 0.0, t IN chosen | s + t.v) AS total,
     CASE WHEN year IS NULL THEN
       reduce(y = 0, b IN gin | reduce(m = y, f IN b.flows | CASE WHEN f.y > m THEN f.y ELSE m END))
     END AS flow_year,
     [f IN reduce(acc = [], b IN gin | acc + b.flows)
      WHERE f.y = year AND any(t IN chosen WHERE t.code = f.h AND t.basis = f.basis)
      | {k: f.k, v: f.v}] AS flows
// Without a trade total, the USGS import sources stand in: each named source's stated share of
// the whole (total 1), the "Other countries" remainder unexplained.
WITH imp, g, codes, usgs, sharers, year, chosen, total, flow_year, flows,
     year IS NULL OR total <= 0 AS untraded
WITH imp, g, codes, usgs, sharers, flow_year,
     CASE WHEN untraded AND usgs IS NOT NULL THEN usgs END AS fb,
     CASE WHEN untraded AND usgs IS NOT NULL THEN [] ELSE chosen END AS chosen,
     CASE WHEN untraded AND usgs IS NOT NULL THEN 1.0 ELSE total END AS total,
     CASE WHEN untraded AND usgs IS NOT NULL THEN usgs.year ELSE year END AS year,
     CASE WHEN untraded AND usgs IS NOT NULL THEN usgs.named ELSE flows END AS flows
WITH imp, g, codes, sharers, chosen, total, coalesce(year, flow_year) AS year,
     year IS NOT NULL AND total > 0 AS has_total, flows, fb IS NOT NULL AS by_usgs,
     CASE WHEN usgs IS NULL THEN null
          ELSE {china: usgs.cn, period: usgs.period, other: usgs.other} END AS usrc
UNWIND CASE WHEN size(flows) = 0 THEN [null] ELSE flows END AS f
WITH imp, g, codes, sharers, chosen, total, year, has_total, by_usgs, usrc,
     f.k AS k, sum(f.v) AS value
WITH imp, g, codes, sharers, chosen, total, year, has_total, by_usgs, usrc,
     collect(CASE WHEN k IS NULL THEN null ELSE {k: k, value: value} END) AS suppliers,
     sum(coalesce(value, 0.0)) AS known
WITH imp, g, year, has_total, by_usgs, usrc, suppliers,
     CASE WHEN by_usgs THEN 1.0 - usrc.other ELSE known END AS known,
     CASE WHEN has_total THEN total END AS total,
     CASE WHEN by_usgs THEN ['usgs-import-sources ' + usrc.period] ELSE [c IN chosen | c.basis] END
       AS bases,
     [c IN chosen | c.code] AS used_codes,
     CASE WHEN size(sharers) = 0 AND size([c IN chosen WHERE c.notes IS NOT NULL]) = 0 AND NOT by_usgs
          THEN null
          ELSE trim(CASE WHEN size(sharers) = 0 THEN ''
                    ELSE 'HS ' + reduce(s = '', c IN codes | s + CASE WHEN s = '' THEN '' ELSE '/' END + c)
                         + ' also covers ' + reduce(s = '', n IN sharers | s + CASE WHEN s = '' THEN ''
                                                    ELSE ', ' END + n) + '. ' END
                    + reduce(s = '', c IN chosen | s + coalesce(c.notes + ' ', ''))
                    + CASE WHEN by_usgs THEN 'No import total in the graph: shares are the USGS import '
                              + 'sources ' + usrc.period + ', the rest unnamed.' ELSE '' END) END
       AS caveat
// Candidate inputs: the good itself (ownership only) and every input it requires, each with the
// HS codes its trade is read under (its own, else its group's).
WITH imp, g, year, has_total, by_usgs, usrc, suppliers, known, total, bases, used_codes, caveat,
     [{x: g, depth: 0, named: null}]
     + [path = (g)-[:REQUIRES*1..4]->(x)
        WHERE length(path) <= $max_depth
          AND all(n IN nodes(path) WHERE single(m IN nodes(path) WHERE m = n))
        | {x: x, depth: length(path), named: last(relationships(path)).stage}] AS cands
WITH collect({g: g, imp: imp, year: year, has_total: has_total, by_usgs: by_usgs, usrc: usrc,
              suppliers: suppliers, known: known, total: total, bases: bases, codes: used_codes,
              caveat: caveat,
              cands: cands}) AS goods
// China's share of world output of every candidate input at every stage, by the latest-figure
// rule every query shares (docs/queries.md, "The latest figure"), read once.
CALL {
  WITH goods
  UNWIND goods AS gd
  UNWIND gd.cands AS cd
  WITH cd
  WHERE cd.depth > 0
  WITH DISTINCT cd.x AS x
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
  RETURN collect({x: x.id, stage: stage, yr: yr, measure: measure, basis: basis,
                  cn: coalesce(head([f IN figures WHERE f.c.id = 'country:CHN' AND f.share IS NOT NULL
                                     | f.share]), 0.0), holder: holder.id,
                  cnq: head([f IN figures WHERE f.c.id = 'country:CHN' AND f.pr.quantity IS NOT NULL
                             | {q: f.pr.quantity, unit: f.pr.unit}])}) AS supply
}
// The HS codes each input's trade is read under: its own, else its group's (member_of). And
// China's feedstock where it separates or refines an input with an output quantity: its own
// output at the stage below (the most processed lower stage with a Chinese quantity of the same
// figures, year and unit) over its output at the stage, and its largest foreign source of the
// input: the largest annual flow into China of the input's codes in the latest year that has
// one, by weight where any flow has a weight, else by value; exporters' reports are not China's
// imports. Read once.
CALL {
  WITH goods, supply
  UNWIND goods AS gd
  UNWIND gd.cands AS cd
  WITH supply, cd
  WHERE cd.depth > 0
  WITH supply, collect(DISTINCT cd.x) AS xs
  WITH xs, [w IN supply WHERE w.stage IN ['separation', 'refining'] AND w.cnq.q > 0 | {
         x: w.x, stage: w.stage, w: w,
         below: reduce(b = null, s IN [s IN supply WHERE s.x = w.x AND s.holder = w.holder
                                       AND s.yr = w.yr AND s.cnq IS NOT NULL
                                       AND coalesce(s.cnq.unit, '') = coalesce(w.cnq.unit, '')
                                       AND (s.stage = 'mining'
                                            OR (s.stage = 'separation' AND w.stage = 'refining'))]
                       | CASE WHEN b IS NULL OR s.stage = 'separation' THEN s ELSE b END)}] AS fed
  WITH xs, [f IN fed WHERE f.below IS NOT NULL | {x: f.x, stage: f.stage,
         imported_min: CASE WHEN f.below.cnq.q >= f.w.cnq.q THEN 0.0
                            ELSE 1.0 - toFloat(f.below.cnq.q) / f.w.cnq.q END,
         year: f.w.yr, stage_below: f.below.stage, own_below: f.below.cnq.q, output: f.w.cnq.q,
         unit: f.w.cnq.unit, figures_of: f.w.holder}] AS feeds
  UNWIND xs AS x
  WITH x, [f IN feeds WHERE f.x = x.id] AS feeds,
       [(x)-[:CLASSIFIED_AS]->(hx:HSCode) | hx.code] AS own
  WITH x, feeds, CASE WHEN size(own) > 0 OR size(coalesce(x.member_of, [])) = 0 THEN own
                      ELSE [(grp:Material)-[:CLASSIFIED_AS]->(hg:HSCode)
                            WHERE grp.id IN x.member_of | hg.code] END AS codes
  OPTIONAL MATCH (chn:Country {id: 'country:CHN'})
  WITH x, feeds, codes, CASE WHEN size(feeds) = 0 OR chn IS NULL OR size(codes) = 0 THEN [] ELSE
         [(src:Country)-[e:EXPORTS_TO]->(chn) WHERE coalesce(e.month, 0) = 0
            AND coalesce(e.flow_basis, '') <> 'exports' AND ($year IS NULL OR e.year <= $year)
            AND (e.quantity IS NOT NULL OR e.value_usd IS NOT NULL)
          | {k: src, y: e.year, h: e.hs_code, q: e.quantity, unit: e.unit, v: e.value_usd,
             basis: e.flow_basis, conf: e.confidence}] END AS cin
  WITH x, feeds, codes,
       [f IN cin WHERE any(c IN codes WHERE f.h STARTS WITH c OR c STARTS WITH f.h)] AS cin
  WITH x, feeds, codes, cin,
       reduce(y = null, f IN cin | CASE WHEN y IS NULL OR f.y > y THEN f.y ELSE y END) AS cy
  WITH x, feeds, codes, [f IN cin WHERE f.y = cy] AS cin
  WITH x, feeds, codes, cin, any(f IN cin WHERE f.q IS NOT NULL) AS by_weight
  WITH x, feeds, codes, reduce(b = null, f IN [f IN cin WHERE NOT by_weight OR f.q IS NOT NULL] | CASE
         WHEN b IS NULL OR (by_weight AND f.q > b.q) OR (NOT by_weight AND f.v > b.v) THEN f
         ELSE b END) AS top
  RETURN collect({x: x.id, codes: codes, feeds: [f IN feeds | {stage: f.stage, feed: {
           imported_min: f.imported_min, year: f.year, stage_below: f.stage_below,
           own_below: f.own_below, output: f.output, unit: f.unit, figures_of: f.figures_of,
           source: CASE WHEN top IS NULL THEN null ELSE {
             largest_source: top.k.name, source_iso3: substring(top.k.id, 8),
             source_period: toString(top.y), source_quantity: top.q, source_unit: top.unit,
             source_value_usd: top.v, source_basis: top.basis, source_hs_code: top.h,
             source_confidence: top.conf} END}}]}) AS xcodes
}
// The stage each input comes from: REQUIRES.stage, else the most processed stage that has a
// figure by the shared rule; China's share of world output there (an element without figures of
// its own takes its group's, member_of). One candidate per input and stage, at its least depth.
WITH [gd IN goods | {gd: gd, cands: [cd IN gd.cands | {cd: cd,
       st: CASE WHEN cd.depth = 0 THEN null WHEN cd.named IS NOT NULL THEN cd.named
               ELSE reduce(top = null, s IN [s IN supply WHERE s.x = cd.x.id | s.stage] | CASE
                 WHEN top IS NULL
                   OR CASE s WHEN 'mining' THEN 1 WHEN 'separation' THEN 2 WHEN 'refining' THEN 3
                             WHEN 'manufacturing' THEN 4 ELSE 0 END
                    > CASE top WHEN 'mining' THEN 1 WHEN 'separation' THEN 2 WHEN 'refining' THEN 3
                               WHEN 'manufacturing' THEN 4 ELSE 0 END
                 THEN s ELSE top END) END}]}] AS staged, supply, xcodes
WITH [s IN staged | {gd: s.gd, cands: reduce(acc = [], c IN s.cands | CASE
        WHEN any(a IN acc WHERE a.cd.x = c.cd.x AND coalesce(a.st, '') = coalesce(c.st, ''))
        THEN [a IN acc | CASE WHEN a.cd.x = c.cd.x AND coalesce(a.st, '') = coalesce(c.st, '')
                                   AND c.cd.depth < a.cd.depth THEN c ELSE a END]
        ELSE acc + [c] END)}] AS staged, supply, xcodes
WITH [s IN staged | {g: s.gd.g, imp: s.gd.imp, year: s.gd.year, has_total: s.gd.has_total,
        by_usgs: s.gd.by_usgs, usrc: s.gd.usrc, suppliers: s.gd.suppliers, known: s.gd.known,
        total: s.gd.total, bases: s.gd.bases, codes: s.gd.codes, caveat: s.gd.caveat,
        cands: [c IN s.cands | {x: c.cd.x, depth: c.cd.depth, st: c.st,
                                w: head([w IN supply WHERE w.x = c.cd.x.id AND w.stage = c.st]),
                                xc: CASE WHEN c.cd.depth = 0 THEN null
                                         ELSE head([xc IN xcodes WHERE xc.x = c.cd.x.id]) END}]}]
       AS goods
WITH [gd IN goods | {g: gd.g, imp: gd.imp, year: gd.year, has_total: gd.has_total,
        by_usgs: gd.by_usgs, usrc: gd.usrc, suppliers: gd.suppliers, known: gd.known,
        total: gd.total, bases: gd.bases, codes: gd.codes, caveat: gd.caveat,
        cands: [cd IN gd.cands | {x: cd.x, depth: cd.depth, st: cd.st,
                                  by_group: cd.w.basis = 'group', world_cn: coalesce(cd.w.cn, 0.0),
                                  feed: head([f IN coalesce(cd.xc.feeds, []) WHERE f.stage = cd.st
                                              | f.feed]),
                                  codes: coalesce(cd.xc.codes, [])}]}]
       AS goods
// Chinese ownership of assets (read once): the output of facilities and firms that Chinese firms
// or the Chinese state own, weighted by the Chinese interest in them. First the superseded
// stakes: every OWNS fact but the latest of its owner-asset pair (older stakes stay in the graph
// for history; an undated stake counts as older than any dated one). (No comment may open the
// subquery: FalkorDB's parser crashes on one there.)
CALL {
  OPTIONAL MATCH (sf:Firm)-[st:OWNS]->(sa)
  WITH sf, sa, collect(st) AS stakes, max(coalesce(st.year, 0)) AS latest
  WITH collect([s IN stakes WHERE coalesce(s.year, 0) < latest]) AS older
  WITH reduce(acc = [], g IN older | acc + g) AS superseded
  // Chinese firms, found from China's node: headquartered in China (factor 1), or owned by the
  // Chinese state (factor = the state share).
  MATCH (chn:Country {id: 'country:CHN'})
  WITH superseded, reduce(acc = [], r IN
         [(chn)<-[:HEADQUARTERED_IN]-(hf:Firm) | {id: hf.id, f: 1.0}]
         + [(chn)<-[so:STATE_OWNED_BY]-(sof:Firm) | {id: sof.id, f: coalesce(so.share, 1.0)}]
       | CASE WHEN r.id IN [a IN acc | a.id] THEN acc ELSE acc + [r] END) AS cn_roots
  WITH superseded, cn_roots, [r IN cn_roots | r.id] AS cn_ids
  // Chinese interest in each asset: the sum over ownership chains that start at a Chinese firm and
  // pass no other Chinese firm of the product of the shares (unknown = 1), capped at 1; a foreign
  // firm the Chinese state owns is itself an asset (chain of length 0, interest = the state share).
  UNWIND cn_roots AS root
  MATCH (o:Firm {id: root.id})
  MATCH chain = (o)-[:OWNS*0..5]->(a)
  WHERE (a:Facility OR a:Firm) AND (length(chain) = 0 OR NOT a.id IN cn_ids)
    AND none(n IN nodes(chain)[1..-1] WHERE n.id IN cn_ids)
    AND all(n IN nodes(chain) WHERE single(m IN nodes(chain) WHERE m = n))
    AND none(r IN relationships(chain) WHERE r IN superseded)
  WITH a, sum(root.f * reduce(s = 1.0, r IN relationships(chain) | s * coalesce(r.share, 1.0)))
         AS interest
  OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
  WHERE ($year IS NULL OR pa.year <= $year) AND pa.quantity IS NOT NULL
  WITH a, interest, x, pa.stage AS stage, max(pa.year) AS ay
  OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
  WHERE pa.stage = stage AND pa.year = ay
  RETURN collect(CASE WHEN pa IS NULL THEN null ELSE {
           k: head([(a)-[:LOCATED_IN]->(c) WHERE c:Country | c.id]
                   + [(a)-[:HEADQUARTERED_IN]->(c) WHERE c:Country | c.id]),
           x: x.id, stage: stage,
           q: pa.quantity * CASE WHEN interest > 1.0 THEN 1.0 ELSE interest END} END) AS owned
}
// Each supplier k: China = 1; any other k, the China content of each candidate input. Per
// supplier, its import totals, its imports from China and its Chinese-owned output are read once.
// (The suppliers listed once, null standing for the goods without a total.)
WITH owned, goods,
     reduce(acc = [], gd IN goods | reduce(a = acc, s IN CASE WHEN gd.has_total THEN gd.suppliers
                                                         ELSE [] END
                                           | CASE WHEN s.k IN a THEN a ELSE a + [s.k] END))
     + CASE WHEN any(gd IN goods WHERE NOT gd.has_total) THEN [null] ELSE [] END AS ks
UNWIND ks AS k
WITH owned, k,
     [gd IN goods WHERE CASE WHEN k IS NULL THEN NOT gd.has_total
                             ELSE gd.has_total AND any(s IN gd.suppliers WHERE s.k = k) END
      | {g: gd.g, imp: gd.imp, year: gd.year, has_total: gd.has_total, bases: gd.bases,
         codes: gd.codes, caveat: gd.caveat, total: gd.total, known: gd.known,
         by_usgs: gd.by_usgs, usrc: gd.usrc,
         s_k: CASE WHEN k IS NULL THEN null
                   ELSE toFloat(head([s IN gd.suppliers WHERE s.k = k | s.value])) / gd.total END,
         cands: gd.cands}] AS goods
WITH k, goods, [r IN owned WHERE r.k = k.id] AS kowned,
     CASE WHEN k IS NULL OR k.id = 'country:CHN' THEN [] ELSE
       reduce(acc = [], gd IN goods | acc + reduce(a = [], cd IN gd.cands | a + cd.codes)) END
       AS kcodes
// The country groups k belongs to (the EU-27): their figures stand in for an input k has none of
// its own for (read once per supplier, each entry tagged with the group that reported it). A
// subquery, because FalkorDB cannot collect inside a list expression; no comment may open it.
CALL {
  WITH k, kcodes
  OPTIONAL MATCH (grp:Country)
  WHERE k IS NOT NULL AND size(kcodes) > 0 AND k.id IN coalesce(grp.members, [])
  WITH grp, CASE WHEN grp IS NULL THEN [] ELSE
         [(grp)-[gt:IMPORTS]->(gh) WHERE $year IS NULL OR gt.year <= $year
          | {h: gh.code, y: gt.year, m: coalesce(gt.month, 0), basis: gt.flow_basis,
             v: gt.value_usd, q: gt.quantity, conf: gt.confidence, via: grp.id}] END AS t1,
       CASE WHEN grp IS NULL THEN [] ELSE
         [(gcn:Country)-[gx:EXPORTS_TO]->(grp) WHERE gcn.id = 'country:CHN'
            AND ($year IS NULL OR gx.year <= $year)
          | {h: gx.hs_code, y: gx.year, m: coalesce(gx.month, 0), basis: gx.flow_basis,
             v: gx.value_usd, q: gx.quantity, s: gx.share, conf: gx.confidence, via: grp.id}] END AS c1
  RETURN collect(t1) AS gtl, collect(c1) AS gcl
}
WITH k, goods, kowned, kcodes, reduce(a = [], t IN gtl | a + t) AS gtot0,
     reduce(a = [], t IN gcl | a + t) AS gcn0
WITH k, goods, kowned,
     [r IN gtot0 WHERE any(c IN kcodes WHERE r.h STARTS WITH c OR c STARTS WITH r.h)] AS gtot,
     [r IN gcn0 WHERE any(c IN kcodes WHERE r.h STARTS WITH c OR c STARTS WITH r.h)] AS gcn,
     CASE WHEN size(kcodes) = 0 THEN [] ELSE
       [r IN [(k)-[kt:IMPORTS]->(kh) WHERE $year IS NULL OR kt.year <= $year
              | {h: kh.code, y: kt.year, m: coalesce(kt.month, 0), basis: kt.flow_basis,
                 v: kt.value_usd, q: kt.quantity, conf: kt.confidence, via: null}]
        WHERE any(c IN kcodes WHERE r.h STARTS WITH c OR c STARTS WITH r.h)] END AS ktot,
     CASE WHEN size(kcodes) = 0 THEN [] ELSE
       [r IN [(cn:Country)-[ex:EXPORTS_TO]->(k) WHERE cn.id = 'country:CHN'
                AND ($year IS NULL OR ex.year <= $year)
              | {h: ex.hs_code, y: ex.year, m: coalesce(ex.month, 0), basis: ex.flow_basis,
                 v: ex.value_usd, q: ex.quantity, s: ex.share, conf: ex.confidence, via: null}]
        WHERE any(c IN kcodes WHERE r.h STARTS WITH c OR c STARTS WITH r.h)] END AS kcn
UNWIND goods AS gd
UNWIND CASE WHEN k IS NULL OR k.id = 'country:CHN' THEN [null] ELSE gd.cands END AS cd
WITH k, kowned, gd, cd, gtot, gcn,
     CASE WHEN cd IS NULL OR cd.depth = 0 THEN [] ELSE
       [t IN ktot WHERE any(c IN cd.codes WHERE t.h STARTS WITH c OR c STARTS WITH t.h)] END AS xt,
     CASE WHEN cd IS NULL OR cd.depth = 0 THEN [] ELSE
       [f IN kcn WHERE any(c IN cd.codes WHERE f.h STARTS WITH c OR c STARTS WITH f.h)] END AS xc,
     CASE WHEN cd IS NULL OR cd.depth = 0 THEN [] ELSE
       [t IN gtot WHERE any(c IN cd.codes WHERE t.h STARTS WITH c OR c STARTS WITH t.h)] END AS gxt,
     CASE WHEN cd IS NULL OR cd.depth = 0 THEN [] ELSE
       [f IN gcn WHERE any(c IN cd.codes WHERE f.h STARTS WITH c OR c STARTS WITH f.h)] END AS gxc
// k's own figures for the input first; its group's only where k has none (a total or a stated share).
WITH k, kowned, gd, cd,
     CASE WHEN size(xt) > 0 OR size([f IN xc WHERE f.s IS NOT NULL]) > 0 THEN xt ELSE gxt END AS xt,
     CASE WHEN size(xt) > 0 OR size([f IN xc WHERE f.s IS NOT NULL]) > 0 THEN xc ELSE gxc END AS xc
// The datasets k has for the input: totals by value (rank 1) or weight (2), stated shares (3).
WITH k, kowned, gd, cd, xt, xc,
     [t IN xt WHERE t.v IS NOT NULL | {y: t.y, m: t.m, r: 1, basis: t.basis, via: t.via}]
     + [t IN xt WHERE t.v IS NULL AND t.q IS NOT NULL | {y: t.y, m: t.m, r: 2, basis: t.basis, via: t.via}]
     + [f IN xc WHERE f.s IS NOT NULL | {y: f.y, m: f.m, r: 3, basis: f.basis, via: f.via}] AS sets
WITH k, kowned, gd, cd, xt, xc,
     reduce(b = null, s IN sets | CASE WHEN b IS NULL OR s.y > b.y
       OR (s.y = b.y AND s.m < b.m) OR (s.y = b.y AND s.m = b.m AND s.r < b.r)
       OR (s.y = b.y AND s.m = b.m AND s.r = b.r AND s.basis < b.basis)
       OR (s.y = b.y AND s.m = b.m AND s.r = b.r AND s.basis = b.basis AND coalesce(s.via, '') < coalesce(b.via, ''))
       THEN s ELSE b END) AS pick
WITH k, kowned, gd, cd, pick,
     CASE WHEN pick IS NULL OR pick.r = 3 THEN [] ELSE
       [t IN xt WHERE t.y = pick.y AND t.m = pick.m AND t.basis = pick.basis AND coalesce(t.via, '') = coalesce(pick.via, '')
        AND ((pick.r = 1 AND t.v IS NOT NULL) OR (pick.r = 2 AND t.v IS NULL AND t.q IS NOT NULL))] END AS pt,
     CASE WHEN pick IS NULL THEN [] ELSE
       [f IN xc WHERE f.y = pick.y AND f.m = pick.m AND f.basis = pick.basis AND coalesce(f.via, '') = coalesce(pick.via, '')] END AS pc
WITH k, kowned, gd, cd, pick, pt,
     [f IN pc WHERE pick.r = 3 OR any(t IN pt WHERE t.h = f.h)] AS pc
WITH k, kowned, gd, cd, pick, pt, pc,
     CASE pick.r
       WHEN 1 THEN reduce(s = 0.0, f IN pc | s + coalesce(f.v, 0.0))
                   / reduce(s = 0.0, t IN pt | s + t.v)
       WHEN 2 THEN reduce(s = 0.0, f IN pc | s + coalesce(f.q, 0.0))
                   / reduce(s = 0.0, t IN pt | s + t.q)
       WHEN 3 THEN reduce(s = 0.0, f IN pc | CASE WHEN f.s > s THEN f.s ELSE s END)
     END AS trade_cn,
     CASE WHEN pick IS NULL THEN null ELSE {
       period: toString(pick.y) + CASE WHEN pick.m > 0 THEN '-' + CASE WHEN pick.m < 10 THEN '0' ELSE '' END
                                        + toString(pick.m) ELSE '' END,
       measure: CASE pick.r WHEN 1 THEN 'value' WHEN 2 THEN 'weight' ELSE 'stated share' END,
       flow_basis: pick.basis, reporter: pick.via,
       hs_code: head([t IN pt | t.h] + [f IN pc | f.h]),
       confidence: reduce(c = null, r IN [t IN pt | t.conf] + [f IN pc | f.conf] | CASE
         WHEN r = 'L' OR c = 'L' THEN 'L' WHEN r = 'M' OR c = 'M' THEN 'M'
         WHEN r = 'H' OR c = 'H' THEN 'H' ELSE c END)} END AS trade_info,
     CASE WHEN cd IS NULL THEN [] ELSE [r IN kowned WHERE r.x = cd.x.id] END AS xowned
WITH k, gd, cd, cd.x AS cx, trade_cn, trade_info, xowned
WITH k, gd, cd, trade_cn, trade_info, xowned,
     CASE WHEN size(xowned) = 0 THEN [] ELSE
       [(k)-[p3:PRODUCES {basis: 'output'}]->(cx) WHERE p3.quantity IS NOT NULL
          AND ($year IS NULL OR p3.year <= $year) | {stage: p3.stage, y: p3.year, q: p3.quantity}]
     END AS knat
// Ownership: Chinese-owned output of the input in k over k's national output, at each stage.
WITH k, gd, cd, trade_cn, trade_info,
     [s IN CASE WHEN size(xowned) = 0 THEN []
               WHEN cd.st IS NULL THEN ['mining', 'separation', 'refining', 'manufacturing']
               ELSE [cd.st] END
      | {stage: s,
         own: reduce(t = 0.0, r IN [r IN xowned WHERE r.stage = s] | t + r.q),
         nat: reduce(b = {y: 0, q: null}, n IN [n IN knat WHERE n.stage = s]
                     | CASE WHEN n.y > b.y THEN n ELSE b END).q}] AS per_stage
WITH k, gd, cd, trade_cn, trade_info,
     reduce(o = {share: 0.0, stage: null}, m IN per_stage | CASE
       WHEN m.nat > 0 AND m.own / m.nat > o.share THEN {share: m.own / m.nat, stage: m.stage}
       ELSE o END) AS own
WITH k, gd, cd, own, trade_info,
     CASE WHEN cd IS NULL THEN 1.0 WHEN cd.depth = 0 THEN 0.0
          WHEN trade_cn IS NOT NULL THEN trade_cn ELSE cd.world_cn END AS base,
     CASE WHEN cd IS NULL THEN 'direct' WHEN cd.depth = 0 THEN null
          WHEN trade_cn IS NOT NULL THEN 'trade' WHEN cd.by_group THEN 'world (group)'
          ELSE 'world' END AS base_basis
WITH k, gd, cd,
     CASE WHEN own.share > base THEN CASE WHEN own.share > 1.0 THEN 1.0 ELSE own.share END
          ELSE base END AS c,
     CASE WHEN own.share > base THEN 'ownership' ELSE base_basis END AS c_basis,
     CASE WHEN own.share > base THEN own.stage ELSE cd.st END AS c_stage,
     CASE WHEN own.share > base OR base_basis <> 'trade' THEN null ELSE trade_info END AS c_trade
ORDER BY c DESC, cd.depth, cd.x.id
WITH gd.imp AS imp, gd.g AS g, gd.year AS year, gd.bases AS bases, gd.codes AS codes,
     gd.caveat AS caveat, gd.total AS total, gd.known AS known, gd.has_total AS has_total,
     gd.by_usgs AS by_usgs, gd.usrc AS usrc, k,
     gd.s_k AS s_k,
     head(collect({c: c, basis: c_basis, stage: c_stage, input: cd.x.name, input_id: cd.x.id,
                   depth: cd.depth, trade: c_trade,
                   feed: CASE WHEN c_basis IN ['trade', 'world', 'world (group)'] THEN cd.feed END}))
       AS best
WITH imp, g, year, bases, codes, caveat, total, known, has_total, by_usgs, usrc, k, s_k, best,
     s_k * best.c AS contribution
ORDER BY contribution DESC, k.id
WITH imp, g, year, bases, codes, caveat, total, known, has_total, by_usgs, usrc,
     sum(CASE WHEN k.id = 'country:CHN' THEN s_k ELSE 0.0 END) AS direct,
     sum(contribution) AS lookthrough, count(k) AS suppliers,
     collect(CASE WHEN contribution > 0 THEN {
       supplier: k.name, supplier_iso3: substring(k.id, 8), supplier_share: s_k,
       input: best.input, input_id: best.input_id, depth: best.depth, stage: best.stage,
       china_share: best.c, basis: best.basis, period: best.trade.period,
       measure: best.trade.measure, hs_code: best.trade.hs_code,
       confidence: best.trade.confidence, reported_by: best.trade.reporter,
       contribution: contribution, china_feedstock: best.feed} END) AS via
RETURN g.name AS item,
       CASE WHEN has_total THEN direct END AS direct_share,
       CASE WHEN NOT has_total THEN null WHEN lookthrough > 1.0 THEN 1.0 ELSE lookthrough END
         AS lookthrough_share, via,
       CASE WHEN NOT has_total THEN null WHEN lookthrough > 1.0 THEN 1.0 - direct
            ELSE lookthrough - direct END AS hidden_share,
       year, CASE WHEN by_usgs THEN null ELSE total END AS import_value_usd, suppliers,
       reduce(s = null, b IN bases | CASE WHEN s IS NULL THEN b WHEN s = b THEN s ELSE s + '+' + b END)
         AS flow_basis,
       g.id AS item_id, imp.name AS importer,
       CASE WHEN has_total THEN known / total END AS coverage,
       CASE WHEN NOT has_total THEN null WHEN known >= total THEN 0.0 ELSE 1.0 - known / total END
         AS unexplained_share,
       CASE WHEN has_total AND NOT by_usgs THEN known END AS known_value_usd, codes AS hs_codes,
       caveat, usrc.china AS usgs_china_share, usrc.period AS usgs_period
ORDER BY coalesce(lookthrough_share, -1.0) DESC, item
