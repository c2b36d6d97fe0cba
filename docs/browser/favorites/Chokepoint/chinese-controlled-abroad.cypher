// Chinese-controlled assets outside China
// Chokepoint stored query queries/chinese-controlled-abroad.cypher (kg query chinese-controlled-abroad); the :param lines set its defaults.
:param material => null;
:param year => null;
:param min_ownership => 0.0;

// title: Chinese-controlled assets outside China
// description: Facilities and firms located or headquartered outside China whose ownership chain
//   (OWNS links, up to 5, no cycles; only the latest stake of each owner-asset pair, earlier dated
//   stakes staying in the graph for history) ends at a Chinese firm (headquartered in China) or at the
//   Chinese state (STATE_OWNED_BY China; a foreign firm the state owns is listed itself). The chain
//   stops at the first Chinese owner going up. `owner_chain` lists the names from that owner down to
//   the asset ('China' first when the owner is the state), `chain_shares` the share each link holds
//   in the next. `ownership_share` multiplies the shares along a chain (an unknown share counts as 1,
//   so it is an upper bound; `share_complete` is false then) and adds up parallel chains (capped at
//   1); `owner_chain` shows the strongest one and `chains` how many there are. `share` is the
//   asset's share of world output of the material at that stage (its quantity over the world total
//   of the country-level figures for the same stage and year; latest year, or the latest at or
//   before `year`), and `attributed_share` = share * ownership_share is the part of world supply
//   attributable to Chinese owners. Entities that produce nothing in the graph are listed with
//   material null. Reading it: a high `share` with a low `ownership_share` is a minority stake, not
//   control. Limits: only ownership the graph records (curated, GLEIF, Wikidata) is seen; offtake
//   agreements, operatorship without equity, and control through boards or debt are invisible; Hong
//   Kong and Macau entities count as outside China.
// param material: string = null
// param year: int = null
// param min_ownership: float = 0.0
// returns: entity, country, material, owner_chain, share, ownership_share, attributed_share,
//   stage, year, quantity, unit, chain_shares, chains, share_complete, owner, entity_kind,
//   entity_id, country_iso3, material_id
// table: entity, country, material, owner, ownership_share, share, attributed_share
// Superseded stakes: every OWNS fact but the latest of its owner-asset pair (older stakes stay in
// the graph for history; an undated stake counts as older than any dated one).
OPTIONAL MATCH (sf:Firm)-[st:OWNS]->(sa)
WITH sf, sa, collect(st) AS stakes, max(coalesce(st.year, 0)) AS latest
WITH collect([s IN stakes WHERE coalesce(s.year, 0) < latest]) AS older
WITH reduce(acc = [], g IN older | acc + g) AS superseded
OPTIONAL MATCH (cf:Firm)
WHERE (cf)-[:HEADQUARTERED_IN]->(:Country {id: 'country:CHN'})
   OR (cf)-[:STATE_OWNED_BY]->(:Country {id: 'country:CHN'})
WITH collect(CASE WHEN cf IS NULL THEN null ELSE {id: cf.id,
       hq: size([(cf)-[:HEADQUARTERED_IN]->(hc:Country {id: 'country:CHN'}) | hc]) > 0,
       state: head([(cf)-[so:STATE_OWNED_BY]->(:Country {id: 'country:CHN'}) | so.share])} END)
     AS roots, superseded
WITH roots, superseded, [r IN roots | r.id] AS cn_ids
MATCH chain = (o:Firm)-[:OWNS*0..5]->(a)
WHERE o.id IN cn_ids AND (a:Facility OR a:Firm)
  AND (length(chain) = 0 OR NOT a.id IN cn_ids)
  AND none(n IN nodes(chain)[1..-1] WHERE n.id IN cn_ids)
  AND all(n IN nodes(chain) WHERE single(m IN nodes(chain) WHERE m = n))
  AND none(r IN relationships(chain) WHERE r IN superseded)
  AND NOT (a)-[:LOCATED_IN]->(:Country {id: 'country:CHN'})
  AND NOT (a)-[:HEADQUARTERED_IN]->(:Country {id: 'country:CHN'})
WITH a, chain, head([r IN roots WHERE r.id = o.id]) AS root
WITH a, chain, root,
     CASE WHEN root.hq THEN [] ELSE ['China'] END + [n IN nodes(chain) | n.name] AS names,
     CASE WHEN root.hq THEN [] ELSE [root.state] END
       + [r IN relationships(chain) | r.share] AS shares
WITH a, names, shares, size([s IN shares WHERE s IS NULL]) = 0 AS complete,
     reduce(t = 1.0, s IN shares | t * coalesce(s, 1.0)) AS eff
ORDER BY eff DESC, size(names)
WITH a, sum(eff) AS total, count(*) AS chains, min(CASE WHEN complete THEN 1 ELSE 0 END) = 1 AS complete,
     head(collect({names: names, shares: shares})) AS strongest
WITH a, CASE WHEN total > 1.0 THEN 1.0 ELSE total END AS ownership, chains, complete, strongest
WHERE ownership >= $min_ownership
// What the asset produces (latest year per material and stage) and its share of world output.
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE ($year IS NULL OR pa.year <= $year)
  AND ($material IS NULL OR x.id = $material OR x.id = 'material:' + $material
       OR x.id = 'product:' + $material OR toLower(x.name) = toLower($material))
WITH a, ownership, chains, complete, strongest, x, pa.stage AS stage, max(pa.year) AS yr
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE pa.stage = stage AND pa.year = yr
WITH a, ownership, chains, complete, strongest, x, stage, yr, pa,
     [(:Country)-[pc:PRODUCES]->(x) WHERE pc.stage = stage AND pc.year = yr
      | {w: pc.world_quantity, q: pc.quantity}] AS national
WITH a, ownership, chains, complete, strongest, x, stage, yr, pa,
     reduce(w = 0.0, r IN national | CASE WHEN r.w > w THEN r.w ELSE w END) AS world,
     reduce(t = 0.0, r IN national | t + coalesce(r.q, 0.0)) AS ntotal
WITH a, ownership, chains, complete, strongest, x, stage, yr, pa,
     coalesce(CASE WHEN world > 0 THEN toFloat(pa.quantity) / world END, pa.share,
              CASE WHEN ntotal > 0 THEN toFloat(pa.quantity) / ntotal END) AS share
WHERE $material IS NULL OR x IS NOT NULL
WITH a, ownership, chains, complete, strongest, x, stage, yr, pa, share,
     head([(a)-[:LOCATED_IN]->(lc:Country) | lc] + [(a)-[:HEADQUARTERED_IN]->(hc:Country) | hc])
       AS place
RETURN a.name AS entity, place.name AS country, x.name AS material,
       strongest.names AS owner_chain, share, ownership AS ownership_share,
       share * ownership AS attributed_share, stage, yr AS year, pa.quantity AS quantity,
       pa.unit AS unit, strongest.shares AS chain_shares, chains, complete AS share_complete,
       head(strongest.names) AS owner,
       CASE WHEN a:Facility THEN 'facility' ELSE 'firm' END AS entity_kind, a.id AS entity_id,
       substring(place.id, 8) AS country_iso3, x.id AS material_id
ORDER BY coalesce(attributed_share, -1.0) DESC, ownership_share DESC, entity, material
