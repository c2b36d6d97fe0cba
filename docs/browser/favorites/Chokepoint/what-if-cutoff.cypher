// What if a country's supply were cut off
// Chokepoint stored query queries/what-if-cutoff.cypher (kg query what-if-cutoff); the :param lines set its defaults.
:param country => 'CHN';
:param threshold => 0.5;
:param product => null;
:param year => null;
:param include_owned_abroad => false;
:param graph_size => null;

// title: What if a country's supply were cut off
// description: Removes one country's output (`country`, ISO3, default China) and, with
//   `include_owned_abroad`, also the output of assets abroad that its firms or its state own. For
//   every input of a product (REQUIRES walked transitively up to 6 levels, no cycles; one product
//   with `product`) and every stage the graph has for that input, `lost_share` is the share of
//   world output lost: the country's own share (by the latest-figure rule shared with
//   concentration, see docs/queries.md: latest year with a real figure, or the latest at or before
//   `year`; output before capacity, `measure` says which; an element without figures of its own
//   takes its group's, `basis` = group and `group` names it) plus, when asked, the output of owned
//   assets outside it weighted by the ownership share multiplied along the chain (the latest stake
//   of each owner-asset pair, OWNS up to 5 links, unknown shares count as 1; a 40 % stake removes
//   40 % of the asset's output) over the world total, capped at 1. `remaining_share` = 1 -
//   lost_share; a row is reported when it is below `threshold` (default 0.5: more than half of
//   world supply gone). `path` is the shortest bill-of-materials path from the product to the
//   input. Reading it: a remaining share near 0 at any stage means the product cannot be made at
//   scale without that country; the mining stage can look fine while refining is lost. Limits: a
//   static, first-order view: no stocks, substitution, spare capacity elsewhere, recycling or
//   re-routing through third countries; an input with no production data cannot be judged and is
//   not listed.
// param country: string = "CHN"
// param threshold: float = 0.5
// param product: string = null
// param year: int = null
// param include_owned_abroad: bool = false
// param graph_size: list<int> = null
// returns: product, input, lost_share, stage, remaining_share, lost_direct_share,
//   lost_owned_abroad_share, year, path, depth, required_stage, country, product_id, input_id,
//   basis, group, measure
// table: product, input, stage, lost_share, remaining_share, basis
// Superseded stakes: every OWNS fact but the latest of its owner-asset pair (older stakes stay in
// the graph for history; an undated stake counts as older than any dated one).
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param country => 'CHN';
// :param threshold => 0.5;
// :param product => null;
// :param year => null;
// :param include_owned_abroad => false;
// :param graph_size => null;
CALL {
  // older stakes of an owner-asset pair (only ownership chains use them: only when asked for)
  UNWIND CASE WHEN $include_owned_abroad THEN [true] ELSE [] END AS wanted
  MATCH (sf:Firm)-[st:OWNS]->(sa)
  WITH sf, sa, collect(st) AS stakes, max(coalesce(st.year, 0)) AS latest
  WITH collect([s IN stakes WHERE coalesce(s.year, 0) < latest]) AS older
  RETURN reduce(acc = [], g IN older | acc + g) AS superseded
}
WITH superseded,
     CASE WHEN $country STARTS WITH 'country:' THEN $country ELSE 'country:' + $country END AS cid
// The country's firms: headquartered there, or owned by its state (root factor = state share).
OPTIONAL MATCH (cf:Firm)
WHERE $include_owned_abroad
  AND ((cf)-[:HEADQUARTERED_IN]->(:Country {id: cid}) OR (cf)-[:STATE_OWNED_BY]->(:Country {id: cid}))
WITH cid, superseded, collect(CASE WHEN cf IS NULL THEN null ELSE {id: cf.id, f: CASE
       WHEN size([(cf)-[:HEADQUARTERED_IN]->(hc:Country {id: cid}) | hc]) > 0 THEN 1.0
       ELSE coalesce(head([(cf)-[so:STATE_OWNED_BY]->(sc:Country {id: cid}) | so.share]), 1.0)
     END} END) AS roots
WITH cid, superseded, roots, [r IN roots | r.id] AS root_ids
OPTIONAL MATCH chain = (o:Firm)-[:OWNS*0..5]->(a)
WHERE o.id IN root_ids AND (a:Facility OR a:Firm)
  AND (length(chain) = 0 OR NOT a.id IN root_ids)
  AND none(n IN nodes(chain)[1..-1] WHERE n.id IN root_ids)
  AND all(n IN nodes(chain) WHERE single(m IN nodes(chain) WHERE m = n))
  AND none(r IN relationships(chain) WHERE r IN superseded)
  AND NOT (a)-[:LOCATED_IN]->(:Country {id: cid})
  AND NOT (a)-[:HEADQUARTERED_IN]->(:Country {id: cid})
WITH cid, roots, a,
     sum(head([r IN roots WHERE r.id = o.id | r.f])
         * reduce(s = 1.0, r IN relationships(chain) | s * coalesce(r.share, 1.0))) AS interest
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE ($year IS NULL OR pa.year <= $year) AND pa.quantity IS NOT NULL
WITH cid, a, interest, x, pa.stage AS stage, max(pa.year) AS ay
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE pa.stage = stage AND pa.year = ay
WITH cid, collect(CASE WHEN pa IS NULL THEN null ELSE {x: x.id, stage: stage,
       q: pa.quantity * CASE WHEN interest > 1.0 THEN 1.0 ELSE interest END} END) AS owned
// The latest figures of every item and stage are derived when the graph is written
// (kg/store/derived.py, docs/architecture.md): without `year` or owned assets abroad they are read
// when they match the graph (`graph_size`, filled in by the runner), else recomputed by the same
// rule. Only inputs a selected product requires are kept (the path match below).
OPTIONAL MATCH (stamp:_Meta {id: 'derived:stamp'})
WITH cid, owned,
     coalesce(stamp.nodes = $graph_size[0] AND stamp.relationships = $graph_size[1]
              AND 'latest-figure' IN stamp.kinds, false)
       AND $year IS NULL AND NOT $include_owned_abroad AND $threshold <= 1.0 AS derived
CALL {
  WITH cid, derived
  UNWIND CASE WHEN derived THEN [1] ELSE [] END AS use
  MATCH (d:_Meta)
  WHERE d.derived = 'latest-figure'
  WITH d, coalesce(head([i IN range(0, size(d.countries) - 1) WHERE d.countries[i] = cid
                         | d.shares[i]]), 0.0) AS direct
  WITH d, direct, CASE WHEN direct + 0.0 > 1.0 THEN 1.0 ELSE direct + 0.0 END AS lost
  WHERE 1.0 - lost < $threshold
  OPTIONAL MATCH (xm:Material {id: d.item})
  OPTIONAL MATCH (xp:Product {id: d.item})
  RETURN coalesce(xm, xp) AS x, d.stage AS stage, d.year AS yr, d.measure AS measure,
         d.basis AS basis, direct, 0.0 AS abroad, lost,
         CASE WHEN d.basis = 'group' THEN d.holder_name END AS group
  UNION ALL
  WITH cid, owned, derived
  UNWIND CASE WHEN derived THEN [] ELSE [1] END AS use
  // every input some (selected) product requires, judged once per stage
  CALL {
    WITH use
    // BEGIN fragment bom-inputs() -- generated from queries/fragments/bom-inputs.cypher.in
    MATCH (p:Product)-[:REQUIRES]->(n)
    WHERE $product IS NULL OR p.id = $product OR p.id = 'product:' + $product
          OR toLower(p.name) = toLower($product)
    WITH collect(DISTINCT n) AS reached
    UNWIND reached AS n
    OPTIONAL MATCH (n)-[:REQUIRES]->(m)
    UNWIND [n, m] AS z
    WITH DISTINCT z
    WHERE z IS NOT NULL
    WITH collect(z) AS reached
    UNWIND reached AS n
    OPTIONAL MATCH (n)-[:REQUIRES]->(m)
    UNWIND [n, m] AS z
    WITH DISTINCT z
    WHERE z IS NOT NULL
    WITH collect(z) AS reached
    UNWIND reached AS n
    OPTIONAL MATCH (n)-[:REQUIRES]->(m)
    UNWIND [n, m] AS z
    WITH DISTINCT z
    WHERE z IS NOT NULL
    WITH collect(z) AS reached
    UNWIND reached AS n
    OPTIONAL MATCH (n)-[:REQUIRES]->(m)
    UNWIND [n, m] AS z
    WITH DISTINCT z
    WHERE z IS NOT NULL
    WITH collect(z) AS reached
    UNWIND reached AS n
    OPTIONAL MATCH (n)-[:REQUIRES]->(m)
    UNWIND [n, m] AS z
    WITH DISTINCT z
    WHERE z IS NOT NULL
    WITH collect(z) AS reached
    UNWIND reached AS x
    // END fragment bom-inputs
    RETURN x
  }
  WITH cid, owned, x
  // BEGIN fragment latest-figure(cid, owned) -- generated from queries/fragments/latest-figure.cypher.in
  UNWIND CASE WHEN size(coalesce(x.member_of, [])) = 0 THEN [null] ELSE x.member_of END AS gid
  OPTIONAL MATCH (grp:Material {id: gid})
  WITH DISTINCT cid, owned, x, grp
  CALL {
    WITH grp
    WITH grp
    WHERE grp IS NOT NULL
    MATCH (peer:Material)
    WHERE grp.id IN coalesce(peer.member_of, [])
    RETURN count(peer) AS members
  }
  WITH cid, owned, x, [{holder: x, rank: 0}]
       + collect(CASE WHEN grp IS NULL THEN null ELSE {holder: grp, rank: members} END) AS holders
  UNWIND holders AS hd
  WITH cid, owned, x, hd.holder AS holder, hd.rank AS rank
  MATCH (c:Country)-[pr:PRODUCES]->(holder)
  WITH cid, owned, x, holder, rank, pr.stage AS stage, pr.year AS yr,
       coalesce(pr.basis, 'output') = 'capacity' AS capacity,
       count(CASE WHEN pr.quantity IS NOT NULL OR pr.share IS NOT NULL THEN 1 END) AS real,
       max(pr.world_quantity) AS stated_world, sum(pr.quantity) AS reported_total,
       collect({c: c, pr: pr}) AS rows
  ORDER BY rank, holder.id, capacity, yr DESC
  WHERE real > 0 AND stage IS NOT NULL AND yr IS NOT NULL AND ($year IS NULL OR yr <= $year)
  WITH cid, owned, x, stage,
       head(collect({holder: holder, yr: yr, capacity: capacity, stated_world: stated_world,
                     reported_total: reported_total, rows: rows})) AS pick
  WITH cid, owned, x, stage, pick.holder AS holder, pick.yr AS yr,
       CASE WHEN pick.capacity THEN 'capacity' ELSE 'output' END AS measure,
       pick.stated_world AS stated_world, pick.reported_total AS reported_total, pick.rows AS rows
  WITH cid, owned, x, stage, yr, measure, holder, stated_world, reported_total, rows,
       CASE WHEN stated_world IS NULL THEN null
            WHEN reported_total > stated_world THEN reported_total ELSE stated_world END AS world
  WITH cid, owned, x, stage, yr, measure, holder, stated_world, reported_total, world,
       CASE WHEN holder = x THEN 'own' ELSE 'group' END AS basis,
       [r IN rows | {c: r.c, pr: r.pr, share: coalesce(
         toFloat(r.pr.quantity) / world, r.pr.share,
         CASE WHEN reported_total > 0 THEN toFloat(r.pr.quantity) / reported_total END)}] AS figures
  WITH cid, owned, x, stage, yr, measure, holder, stated_world, reported_total, world, basis, figures,
       size([f IN figures WHERE f.share IS NOT NULL]) AS reporters
  // END fragment latest-figure
  WITH cid, owned, x, stage, yr, measure, basis, holder, world, reported_total,
       coalesce(head([f IN figures WHERE f.c.id = cid AND f.share IS NOT NULL | f.share]), 0.0)
         AS direct,
       reduce(t = 0.0, r IN [r IN owned WHERE r.x = holder.id AND r.stage = stage] | t + r.q)
         AS owned_q
  WITH cid, x, stage, yr, measure, basis, holder, direct,
       CASE WHEN world > 0 THEN owned_q / world WHEN reported_total > 0 THEN owned_q / reported_total
            ELSE 0.0 END AS abroad
  WITH cid, x, stage, yr, measure, basis, holder, direct, abroad,
       CASE WHEN direct + abroad > 1.0 THEN 1.0 ELSE direct + abroad END AS lost
  WHERE 1.0 - lost < $threshold
  RETURN x, stage, yr, measure, basis, direct, abroad, lost,
         CASE WHEN basis = 'group' THEN holder.name END AS group
}
WITH cid, x, collect({stage: stage, yr: yr, direct: direct, abroad: abroad, lost: lost,
                      basis: basis, measure: measure, group: group}) AS losses
// The products that need each such input, with the shortest bill-of-materials path.
MATCH path = (p:Product)-[:REQUIRES*1..6]->(x)
WHERE ($product IS NULL OR p.id = $product OR p.id = 'product:' + $product
       OR toLower(p.name) = toLower($product))
  AND all(n IN nodes(path) WHERE single(m IN nodes(path) WHERE m = n))
WITH cid, x, losses, p, path, reduce(s = '', n IN nodes(path) | s + '/' + n.id) AS key
ORDER BY length(path), key
WITH cid, x, losses, p,
     head(collect({names: [n IN nodes(path) | n.name], depth: length(path),
                   stage: last(relationships(path)).stage})) AS bom
UNWIND losses AS l
RETURN p.name AS product, x.name AS input, l.lost AS lost_share, l.stage AS stage,
       1.0 - l.lost AS remaining_share, l.direct AS lost_direct_share,
       l.abroad AS lost_owned_abroad_share, l.yr AS year, bom.names AS path, bom.depth AS depth,
       bom.stage AS required_stage, substring(cid, 8) AS country, p.id AS product_id,
       x.id AS input_id, l.basis AS basis, l.group AS group, l.measure AS measure
ORDER BY product, lost_share DESC, input, stage
