// title: Chinese-controlled assets outside China
// description: Facilities and firms located or headquartered outside China whose ownership chain
//   (OWNS links, up to 5, no cycles) ends at a Chinese firm (headquartered in China) or at the
//   Chinese state (STATE_OWNED_BY China; a foreign firm the state owns is listed itself). The chain
//   stops at the first Chinese owner going up. Where the graph holds a stake for several years,
//   each link takes its latest year. `owner_chain` lists the names from that owner down to the
//   asset ('China' first when the owner is the state), `chain_shares` the share each link holds in
//   the next (null = unknown). Ownership is given as bounds: `ownership_low` multiplies the shares
//   along a chain with unknown shares as 0, `ownership_high` with unknown shares as 1; parallel
//   chains add up (capped at 1), and the upper bound is also capped at 1 minus the stated stakes
//   of the asset's other direct owners (`co_owners`, e.g. a joint-venture partner's 50 %).
//   `ownership_share` equals `ownership_high`. `unknown_links` names every link whose share the
//   graph does not know and `share_complete` is true when there is none (then the bounds agree).
//   `control` is `yes` when the lower bound reaches 50 %, `possible` when only the upper bound
//   does, `minority` otherwise. Only assets whose upper bound reaches `min_ownership` are listed:
//   the default 0.5 lists control (certain or possible), as the title says; 0 lists any stake.
//   `owner_chain` shows the strongest chain and `chains` how many there are. `share` is the
//   asset's share of world output of the material at that stage (its quantity over the world
//   total of the country-level figures for the same stage and year, else the share the source
//   states; latest year, or the latest at or before `year`); `attributed_share` = share *
//   ownership_high and `attributed_share_low` = share * ownership_low bound the part of world
//   supply attributable to Chinese owners. `output_basis` says what the share rests on:
//   `facility output` or `firm output` (the asset's own figure), or why there is none: `amount
//   unknown` (the graph records that the asset produces the material, not how much), `no world
//   total` (no country figures for that stage and year), `none recorded` (the graph has no
//   output of the asset: listed with material null). Limits:
//   only ownership the graph records (curated, GLEIF, Wikidata) is seen; offtake agreements,
//   operatorship without equity, and control through boards or debt are invisible; Hong Kong and
//   Macau entities count as outside China.
// param material: string = null
// param year: int = null
// param min_ownership: float = 0.5
// returns: entity, country, material, owner_chain, share, ownership_share, attributed_share,
//   stage, year, quantity, unit, chain_shares, chains, share_complete, owner, entity_kind,
//   entity_id, country_iso3, material_id, ownership_low, ownership_high, unknown_links, control,
//   co_owners, attributed_share_low, output_basis
// table: entity, country, material, ownership_low, ownership_high, share_complete, share,
//   attributed_share, output_basis
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param material => null;
// :param year => null;
// :param min_ownership => 0.5;
OPTIONAL MATCH (cn:Country {id: 'country:CHN'})
// the Chinese firms, found from China's node through the id index rather than by testing
// every firm
OPTIONAL MATCH (cf:Firm)-[:HEADQUARTERED_IN|STATE_OWNED_BY]->(cn)
WITH DISTINCT cn, cf
// one pattern comprehension per projection: the embedded FalkorDB crashed (1M relationships)
// on one map holding both after the DISTINCT
WITH cn, cf, size([(cf)-[:HEADQUARTERED_IN]->(hc:Country {id: 'country:CHN'}) | hc]) > 0 AS hq
WITH cn, cf, hq, reduce(b = {y: -1, s: null},
                    so IN [(cf)-[so:STATE_OWNED_BY]->(:Country {id: 'country:CHN'})
                           | {y: coalesce(so.year, 0), s: so.share}]
                    | CASE WHEN so.y > b.y THEN so ELSE b END).s AS state
WITH cn, collect(CASE WHEN cf IS NULL THEN null ELSE {id: cf.id, hq: hq, state: state} END) AS roots
WITH cn, roots, [r IN roots | r.id] AS cn_ids
// each chain starts at its root through the id index: testing every firm against the list of
// roots grew with firms times roots (20 ms of 120 at 1M relationships)
UNWIND roots AS root
MATCH chain = (o:Firm {id: root.id})-[:OWNS*0..5]->(a)
WHERE (a:Facility OR a:Firm)
  AND (length(chain) = 0 OR NOT a.id IN cn_ids)
  AND none(n IN nodes(chain)[1..-1] WHERE n.id IN cn_ids)
  AND all(n IN nodes(chain) WHERE single(m IN nodes(chain) WHERE m = n))
  // China's node carried from the first line: a check between two bound nodes, not a walk to
  // every country of the asset
  AND NOT (a)-[:LOCATED_IN]->(cn)
  AND NOT (a)-[:HEADQUARTERED_IN]->(cn)
// A stake held in several years gives one chain per year: keep the chain of latest-year links.
WITH a, root, [n IN nodes(chain) | n.id] AS seq,
     [n IN nodes(chain) | n.name] AS cnames, [r IN relationships(chain) | r.share] AS cshares,
     reduce(t = 0, r IN relationships(chain) | t + coalesce(r.year, 0)) AS ysum
ORDER BY ysum DESC
WITH a, root, seq, head(collect({names: cnames, shares: cshares})) AS c
WITH a, seq,
     CASE WHEN root.hq THEN [] ELSE ['China'] END + c.names AS names,
     CASE WHEN root.hq THEN [] ELSE [root.state] END + c.shares AS shares
WITH a, seq, names, shares,
     [i IN range(0, size(shares) - 1) WHERE shares[i] IS NULL | names[i] + ' -> ' + names[i + 1]]
       AS unknown,
     reduce(t = 1.0, s IN shares | t * coalesce(s, 1.0)) AS high,
     reduce(t = 1.0, s IN shares | t * coalesce(s, 0.0)) AS low
ORDER BY high DESC, size(names)
WITH a, sum(high) AS high, sum(low) AS low, count(*) AS chains,
     min(CASE WHEN size(unknown) = 0 THEN 1 ELSE 0 END) = 1 AS complete,
     collect(unknown) AS unknowns, collect(seq) AS seqs,
     head(collect({names: names, shares: shares})) AS strongest
WITH a, high, low, chains, complete, strongest,
     reduce(acc = [], u IN unknowns | acc + [l IN u WHERE NOT l IN acc]) AS unknown_links,
     reduce(acc = [], s IN seqs | acc + [i IN s WHERE NOT i IN acc]) AS in_chain
// Other direct owners of the asset (latest year each): their stated stakes cap the upper bound.
WITH a, chains, complete, unknown_links, strongest,
     CASE WHEN low > 1.0 THEN 1.0 ELSE low END AS low,
     CASE WHEN high > 1.0 THEN 1.0 ELSE high END AS high,
     [(ow:Firm)-[r:OWNS]->(a) WHERE NOT ow.id IN in_chain
      | {id: ow.id, owner: ow.name, share: r.share, year: r.year}] AS direct
WITH a, chains, complete, unknown_links, strongest, low, high,
     [d IN direct WHERE none(e IN direct WHERE e.id = d.id
                                             AND coalesce(e.year, 0) > coalesce(d.year, 0))]
       AS co_owners
WITH a, chains, complete, unknown_links, strongest, low, high, co_owners,
     1.0 - reduce(t = 0.0, d IN co_owners | t + coalesce(d.share, 0.0)) AS room
WITH a, chains, complete, unknown_links, strongest, low, co_owners,
     CASE WHEN high <= room THEN high WHEN room >= low THEN room ELSE low END AS high
WHERE high >= $min_ownership
// What the asset produces (latest year per material and stage) and its share of world output.
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE ($year IS NULL OR pa.year <= $year)
  AND ($material IS NULL OR x.id = $material OR x.id = 'material:' + $material
       OR x.id = 'product:' + $material OR toLower(x.name) = toLower($material))
WITH a, chains, complete, unknown_links, strongest, low, high, co_owners, x, pa.stage AS stage,
     max(pa.year) AS yr
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE pa.stage = stage AND pa.year = yr
WITH a, chains, complete, unknown_links, strongest, low, high, co_owners, x, stage, yr, pa,
     [(:Country)-[pc:PRODUCES {basis: 'output'}]->(x) WHERE pc.stage = stage AND pc.year = yr
      | {w: pc.world_quantity, q: pc.quantity}] AS national
WITH a, chains, complete, unknown_links, strongest, low, high, co_owners, x, stage, yr, pa,
     reduce(w = 0.0, r IN national | CASE WHEN r.w > w THEN r.w ELSE w END) AS world,
     reduce(t = 0.0, r IN national | t + coalesce(r.q, 0.0)) AS ntotal
WITH a, chains, complete, unknown_links, strongest, low, high, co_owners, x, stage, yr, pa,
     coalesce(CASE WHEN world > 0 THEN toFloat(pa.quantity) / world END, pa.share,
              CASE WHEN ntotal > 0 THEN toFloat(pa.quantity) / ntotal END) AS share
WHERE $material IS NULL OR x IS NOT NULL
WITH a, chains, complete, unknown_links, strongest, low, high, co_owners, x, stage, yr, pa,
     share, CASE WHEN a:Facility THEN 'facility' ELSE 'firm' END AS kind,
     head([(a)-[:LOCATED_IN]->(lc:Country) | lc] + [(a)-[:HEADQUARTERED_IN]->(hc:Country) | hc])
       AS place
RETURN a.name AS entity, place.name AS country, x.name AS material,
       strongest.names AS owner_chain, share, high AS ownership_share,
       share * high AS attributed_share, stage, yr AS year, pa.quantity AS quantity,
       pa.unit AS unit, strongest.shares AS chain_shares, chains, complete AS share_complete,
       head(strongest.names) AS owner, kind AS entity_kind, a.id AS entity_id,
       substring(place.id, 8) AS country_iso3, x.id AS material_id, low AS ownership_low,
       high AS ownership_high, unknown_links,
       CASE WHEN low >= 0.5 THEN 'yes' WHEN high >= 0.5 THEN 'possible' ELSE 'minority' END
         AS control,
       [d IN co_owners | {owner: d.owner, share: d.share, year: d.year}] AS co_owners,
       share * low AS attributed_share_low,
       CASE WHEN x IS NULL THEN 'none recorded'
            WHEN pa.quantity IS NULL AND pa.share IS NULL THEN 'amount unknown'
            WHEN share IS NULL THEN 'no world total'
            ELSE kind + ' output' END AS output_basis
ORDER BY coalesce(attributed_share, -1.0) DESC, ownership_share DESC, entity, material
