// Single points of failure in bills of materials
// Chokepoint stored query queries/single-points-of-failure.cypher (kg query single-points-of-failure); the :param lines set its defaults.
:param product => null;
:param threshold => 0.5;
:param year => null;
:param domestic => 'USA';

// title: Single points of failure in bills of materials
// description: Walks REQUIRES from a product (or from every product) through its bill of
//   materials, up to 6 levels and never through the same item twice (cycles are not followed), and
//   reports every input whose supply at some stage depends on one supplier. Three rules, each a
//   row: `country` - one country's share of world output at that stage is at or above `threshold`
//   (shares as in `concentration`: quantity over the world total, else the stated share; latest
//   year, or the latest at or before `year`); `asset` - one facility or firm produces at or above
//   `threshold` of world output; `sole-domestic-producer` - exactly one facility or firm in the
//   `domestic` country (default USA) produces the input at that stage, the single-point-of-failure
//   criterion of the USGS 2025 critical-minerals method (`share` is then that asset's share of
//   world output, null where the world total is unknown). `path` is the shortest bill-of-materials
//   path from the product to the input (names), `paths` how many distinct paths reach it, and
//   `required_stage` the stage the last REQUIRES link names. Limits: only inputs with production
//   data can be judged; withheld figures (W) are left out, so a supplier can be dominant without
//   showing; asset coverage in the graph is partial, so a sole domestic producer means the only one
//   the graph knows; firm-level and facility-level output of the same asset would count as two.
// param product: string = null
// param threshold: float = 0.5
// param year: int = null
// param domestic: string = "USA"
// returns: product, input, stage, supplier, share, path, rule, supplier_kind, year, depth, paths,
//   required_stage, product_id, input_id, supplier_id
// table: product, input, stage, supplier, share, path

// Judge each input once: every item some (selected) product requires, directly or not.
MATCH (p:Product)-[:REQUIRES*1..6]->(x)
WHERE $product IS NULL OR p.id = $product OR p.id = 'product:' + $product
      OR toLower(p.name) = toLower($product)
WITH DISTINCT x
// Country shares of world output of the input, per stage, at the latest year.
MATCH (:Country)-[pr:PRODUCES {basis: 'output'}]->(x)
WHERE $year IS NULL OR pr.year <= $year
WITH x, pr.stage AS stage, max(pr.year) AS yr
MATCH (c:Country)-[pr:PRODUCES {basis: 'output'}]->(x)
WHERE pr.stage = stage AND pr.year = yr
WITH x, stage, yr, max(pr.world_quantity) AS world, sum(pr.quantity) AS total,
     collect({c: c, pr: pr}) AS rows
UNWIND rows AS row
WITH x, stage, yr, world, row.c AS c,
     coalesce(toFloat(row.pr.quantity) / world, row.pr.share,
              CASE WHEN total > 0 THEN toFloat(row.pr.quantity) / total END) AS share
ORDER BY share DESC, c.id
WITH x, stage, yr, world,
     head(collect(CASE WHEN share IS NULL THEN null
                       ELSE {id: c.id, name: c.name, share: share} END)) AS top
// Facilities and firms producing the input at that stage (each at its latest year).
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE (a:Facility OR a:Firm) AND pa.stage = stage AND ($year IS NULL OR pa.year <= $year)
WITH x, stage, yr, world, top, a, collect({y: pa.year, q: pa.quantity, s: pa.share}) AS arows
WITH x, stage, yr, world, top, a,
     reduce(b = {y: 0}, r IN arows | CASE WHEN r.y > b.y THEN r ELSE b END) AS ar,
     head([(a)-[:LOCATED_IN]->(lc:Country) | lc.id]
          + [(a)-[:HEADQUARTERED_IN]->(hc:Country) | hc.id]) AS aloc
WITH x, stage, yr, top,
     collect(CASE WHEN a IS NULL THEN null ELSE {
       id: a.id, name: a.name, kind: CASE WHEN a:Facility THEN 'facility' ELSE 'firm' END,
       y: ar.y, loc: aloc,
       share: coalesce(CASE WHEN world > 0 THEN toFloat(ar.q) / world END, ar.s)} END) AS assets
WITH x, stage, yr, top, assets,
     [r IN assets WHERE r.loc = $domestic OR r.loc = 'country:' + $domestic] AS domestic
WITH x,
     [f IN [top] WHERE f IS NOT NULL AND f.share >= $threshold
      | {rule: 'country', kind: 'country', id: f.id, name: f.name, share: f.share, y: yr,
         stage: stage}]
     + [r IN assets WHERE r.share >= $threshold
        | {rule: 'asset', kind: r.kind, id: r.id, name: r.name, share: r.share, y: r.y,
           stage: stage}]
     + [r IN domestic WHERE size(domestic) = 1
        | {rule: 'sole-domestic-producer', kind: r.kind, id: r.id, name: r.name, share: r.share,
           y: r.y, stage: stage}] AS found
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
                   stage: last(relationships(path)).stage})) AS bom
UNWIND findings AS f
RETURN p.name AS product, x.name AS input, f.stage AS stage, f.name AS supplier, f.share AS share,
       bom.names AS path, f.rule AS rule, f.kind AS supplier_kind, f.y AS year,
       bom.depth AS depth, paths, bom.stage AS required_stage, p.id AS product_id,
       x.id AS input_id, f.id AS supplier_id
ORDER BY product, depth, input, stage, rule, share DESC, supplier
