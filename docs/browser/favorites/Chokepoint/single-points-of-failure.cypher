// Single points of failure in bills of materials
// Chokepoint stored query queries/single-points-of-failure.cypher (kg query single-points-of-failure); the :param lines set its defaults.
:param product => null;
:param threshold => 0.5;
:param year => null;
:param domestic => 'USA';

// title: Single points of failure in bills of materials
// description: Walks REQUIRES from a product (or from every product) through its bill of
//   materials, up to 6 levels and never through the same item twice (cycles are not followed), and
//   reports every input whose supply depends on one supplier. Four rules, each a row, named in
//   `rule`: `country` - one country's share of world output at a stage is at or above `threshold`
//   (figures by the latest-figure rule shared with concentration, see docs/queries.md: latest year
//   with a real figure, or the latest at or before `year`; output before capacity, `measure` says
//   which; an element without figures of its own takes its group's, e.g. neodymium from the magnet
//   rare earths: `basis` = group and `group` names it); `asset` - one facility or firm produces at
//   or above `threshold` of world output (its quantity over the world total, else the share its
//   source states; at a stage with no country figure only the stated share can count);
//   `sole-domestic-producer` - exactly one facility or firm in the `domestic` country (default
//   USA) produces the input at that stage, the single-point-of-failure criterion of the USGS 2025
//   critical-minerals method (`share` is then that asset's share of world output, null where it
//   is unknown); `sole-supplier` - a firm that makes the product has exactly one recorded supplier
//   (SUPPLIES) of the input, e.g. a sole qualified supplier from your own data (`customer` names
//   the firm; `stage` and `share` are null). `path` is the shortest bill-of-materials path from
//   the product to the input (names), `paths` how many distinct paths reach it, and
//   `required_stage` the stage the last REQUIRES link names. Limits: only inputs with production
//   or supply data can be judged; withheld figures (W) are left out, so a supplier can be dominant
//   without showing; asset and supplier coverage in the graph is partial, so a sole domestic
//   producer or a sole supplier means the only one the graph knows; firm-level and
//   facility-level output of the same asset would count as two.
// param product: string = null
// param threshold: float = 0.5
// param year: int = null
// param domestic: string = "USA"
// returns: product, input, stage, supplier, share, path, rule, supplier_kind, year, depth, paths,
//   required_stage, product_id, input_id, supplier_id, basis, group, measure, customer
// table: product, input, stage, supplier, share, rule, basis, path
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param product => null;
// :param threshold => 0.5;
// :param year => null;
// :param domestic => 'USA';

CALL {
  // Judge each input once: every item some (selected) product requires, directly or not.
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
  WITH DISTINCT x
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
  WITH x, stage, yr, measure, basis, holder, world, figures,
       reduce(t = null, f IN figures | CASE
         WHEN f.share IS NOT NULL AND (t IS NULL OR f.share > t.share
                                       OR (f.share = t.share AND f.c.id < t.c.id)) THEN f
         ELSE t END) AS top
  // Facilities and firms producing the input itself at that stage (each at its latest year).
  OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
  WHERE (a:Facility OR a:Firm) AND pa.stage = stage AND ($year IS NULL OR pa.year <= $year)
  WITH x, stage, yr, measure, basis, holder, world, top, a,
       collect({y: pa.year, q: pa.quantity, s: pa.share}) AS arows
  WITH x, stage, yr, measure, basis, holder, world, top, a,
       reduce(b = {y: 0}, r IN arows | CASE WHEN r.y > b.y THEN r ELSE b END) AS ar,
       head([(a)-[:LOCATED_IN]->(lc:Country) | lc.id]
            + [(a)-[:HEADQUARTERED_IN]->(hc:Country) | hc.id]) AS aloc
  WITH x, stage, yr, measure, basis, holder, top,
       collect(CASE WHEN a IS NULL THEN null ELSE {
         id: a.id, name: a.name, kind: CASE WHEN a:Facility THEN 'facility' ELSE 'firm' END,
         y: ar.y, loc: aloc,
         share: coalesce(CASE WHEN basis = 'own' AND world > 0 THEN toFloat(ar.q) / world END,
                         ar.s)} END) AS assets
  WITH x, stage, yr, measure, basis, holder, top, assets,
       [r IN assets WHERE r.loc = $domestic OR r.loc = 'country:' + $domestic] AS domestic
  WITH x,
       [f IN [top] WHERE f IS NOT NULL AND f.share >= $threshold
        | {rule: 'country', kind: 'country', id: f.c.id, name: f.c.name, share: f.share, y: yr,
           stage: stage, basis: basis, group: CASE WHEN basis = 'group' THEN holder.name END,
           measure: measure, customer: null}]
       + [r IN assets WHERE r.share >= $threshold
          | {rule: 'asset', kind: r.kind, id: r.id, name: r.name, share: r.share, y: r.y,
             stage: stage, basis: 'own', group: null, measure: 'output', customer: null}]
       + [r IN domestic WHERE size(domestic) = 1
          | {rule: 'sole-domestic-producer', kind: r.kind, id: r.id, name: r.name,
             share: r.share, y: r.y, stage: stage, basis: 'own', group: null, measure: 'output',
             customer: null}] AS found
  RETURN x, found
  UNION ALL
  // Stages with no country figure (own or group): facility and firm output is all there is, so
  // an asset counts by the share its source states, and a sole domestic producer still shows.
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
  WITH DISTINCT x
  // (its groups through the id index: a scan of every Material per input was the cost)
  UNWIND CASE WHEN size(coalesce(x.member_of, [])) = 0 THEN [null] ELSE x.member_of END AS gid
  OPTIONAL MATCH (grp:Material {id: gid})
  WITH x, [x] + collect(DISTINCT grp) AS holders
  UNWIND holders AS holder
  OPTIONAL MATCH (:Country)-[pc:PRODUCES]->(holder)
  WHERE (pc.quantity IS NOT NULL OR pc.share IS NOT NULL) AND ($year IS NULL OR pc.year <= $year)
  WITH x, collect(DISTINCT pc.stage) AS covered
  MATCH (a)-[pa:PRODUCES]->(x)
  WHERE (a:Facility OR a:Firm) AND ($year IS NULL OR pa.year <= $year) AND NOT pa.stage IN covered
  WITH x, pa.stage AS stage, a, collect({y: pa.year, s: pa.share}) AS arows
  WITH x, stage, a, reduce(b = {y: 0}, r IN arows | CASE WHEN r.y > b.y THEN r ELSE b END) AS ar,
       head([(a)-[:LOCATED_IN]->(lc:Country) | lc.id]
            + [(a)-[:HEADQUARTERED_IN]->(hc:Country) | hc.id]) AS aloc
  WITH x, stage, collect({id: a.id, name: a.name,
                          kind: CASE WHEN a:Facility THEN 'facility' ELSE 'firm' END,
                          y: ar.y, loc: aloc, share: ar.s}) AS assets
  WITH x, stage, assets,
       [r IN assets WHERE r.loc = $domestic OR r.loc = 'country:' + $domestic] AS domestic
  RETURN x,
         [r IN assets WHERE r.share >= $threshold
          | {rule: 'asset', kind: r.kind, id: r.id, name: r.name, share: r.share, y: r.y,
             stage: stage, basis: 'own', group: null, measure: 'output', customer: null}]
         + [r IN domestic WHERE size(domestic) = 1
            | {rule: 'sole-domestic-producer', kind: r.kind, id: r.id, name: r.name,
               share: r.share, y: r.y, stage: stage, basis: 'own', group: null,
               measure: 'output', customer: null}] AS found
  UNION ALL
  // Firm-level single sourcing: a customer firm with exactly one recorded supplier of an item.
  MATCH (s)-[sp:SUPPLIES]->(cu:Firm)
  WHERE (s:Firm OR s:Facility) AND sp.item_id IS NOT NULL AND sp.item_id <> ''
    AND ($year IS NULL OR sp.year IS NULL OR sp.year <= $year)
  WITH cu, sp.item_id AS item, collect(DISTINCT s) AS sups, max(sp.year) AS sy
  WHERE size(sups) = 1
  WITH cu, item, head(sups) AS s1, sy
  MATCH (x)
  WHERE x.id = item AND (x:Material OR x:Product)
  RETURN x, [{rule: 'sole-supplier', kind: CASE WHEN s1:Facility THEN 'facility' ELSE 'firm' END,
              id: s1.id, name: s1.name, share: null, y: sy, stage: null, basis: 'own',
              group: null, measure: null, customer: cu.id, customer_name: cu.name}] AS found
}
WITH x, collect(found) AS groups
WITH x, reduce(acc = [], f IN groups | acc + f) AS findings
WHERE size(findings) > 0
// The products that need each such input, with the shortest bill-of-materials path.
MATCH path = (p:Product)-[:REQUIRES*1..6]->(x)
WHERE ($product IS NULL OR p.id = $product OR p.id = 'product:' + $product
       OR toLower(p.name) = toLower($product))
  AND all(n IN nodes(path) WHERE single(m IN nodes(path) WHERE m = n))
WITH x, findings, p, path, reduce(s = '', n IN nodes(path) | s + '/' + n.id) AS key
ORDER BY length(path), key
WITH x, findings, p, count(path) AS paths,
     head(collect({names: [n IN nodes(path) | n.name], depth: length(path),
                   stage: last(relationships(path)).stage})) AS bom,
     [(mk:Firm)-[:PRODUCES]->(p) | mk.id] AS makers
// A sole supplier matters to the products its customer makes.
UNWIND [f IN findings WHERE f.customer IS NULL OR f.customer IN makers] AS f
RETURN p.name AS product, x.name AS input, f.stage AS stage, f.name AS supplier, f.share AS share,
       bom.names AS path, f.rule AS rule, f.kind AS supplier_kind, f.y AS year,
       bom.depth AS depth, paths, bom.stage AS required_stage, p.id AS product_id,
       x.id AS input_id, f.id AS supplier_id, f.basis AS basis, f.group AS group,
       f.measure AS measure, f.customer_name AS customer
ORDER BY product, depth, input, stage, rule, share DESC, supplier
