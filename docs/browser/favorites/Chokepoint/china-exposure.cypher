// Direct and look-through dependence on China
// Chokepoint stored query queries/china-exposure.cypher (kg query china-exposure); the :param lines set its defaults.
:param importer => 'USA';
:param item => null;
:param year => null;
:param max_depth => 4;

// title: Direct and look-through dependence on China
// description: For an importer (default the United States) and each good it imports (a product or
//   material with HS codes in the graph): `direct_share` is the importer's import share from China
//   by value for the good's HS codes (flows whose code starts with one of the good's codes; latest
//   year, or the latest at or before `year`; the importer's own report is preferred, then mirror
//   data, then the exporters' reports). `lookthrough_share` = s_CHN + sum over other suppliers k of
//   s_k * c_k, capped at 1, where s_k is k's import share and c_k is the China content of k for the
//   good: the largest, over the inputs the good REQUIRES (transitively, up to `max_depth` levels,
//   no cycles), of the Chinese share of that input's supply in k. That share is China's share of
//   k's imports of the input where the graph has k's imports of it, else China's share of world
//   output at the stage the input comes from (REQUIRES.stage, or else the most processed stage the
//   graph has for it: mining < separation < refining < manufacturing). Ownership counts: output of
//   a facility or firm in k that a Chinese firm or the Chinese state owns is Chinese, weighted by the
//   ownership share multiplied along the chain (unknown shares count as 1), over k's national output
//   of that input at that stage; the good's own output in k counts the same way. An input's
//   Chinese share is the larger of the trade-or-world figure and the ownership figure. `via` lists
//   the paths behind the number (supplier, its share, the input that sets c_k, the stage, the
//   Chinese share, the basis, and s_k*c_k), largest first. Reading it: this is a weakest-link,
//   upper-bound measure (one input fully Chinese makes the whole supplier count as Chinese), not a
//   value-added (Leontief) measure such as Baldwin, Freeman and Theodorakopoulos (2023); a wide gap
//   between direct and look-through shows hidden dependence through third countries. Limits: only
//   goods with HS codes and import flows appear; trade coarser than the good's code is not counted
//   (see classification-gaps); Hong Kong (HKG) is a separate supplier; re-exports, stocks and
//   unrecorded trade are invisible; an input with no production data and no trade counts as 0.
// param importer: string = "USA"
// param item: string = null
// param year: int = null
// param max_depth: int = 4
// returns: item, direct_share, lookthrough_share, via, hidden_share, year, import_value_usd,
//   suppliers, flow_basis, item_id, importer
// table: item, direct_share, lookthrough_share, hidden_share, year, suppliers
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param importer => 'USA';
// :param item => null;
// :param year => null;
// :param max_depth => 4;

// Chinese firms: headquartered in China, or owned by the Chinese state (root factor = state share).
OPTIONAL MATCH (cf:Firm)
WHERE (cf)-[:HEADQUARTERED_IN]->(:Country {id: 'country:CHN'})
   OR (cf)-[:STATE_OWNED_BY]->(:Country {id: 'country:CHN'})
WITH collect(CASE WHEN cf IS NULL THEN null ELSE {id: cf.id, f: CASE
       WHEN size([(cf)-[:HEADQUARTERED_IN]->(hc:Country {id: 'country:CHN'}) | hc]) > 0 THEN 1.0
       ELSE coalesce(head([(cf)-[so:STATE_OWNED_BY]->(:Country {id: 'country:CHN'}) | so.share]), 1.0)
     END} END) AS cn_roots
WITH cn_roots, [r IN cn_roots | r.id] AS cn_ids
// Chinese interest in each asset: the sum over ownership chains that start at a Chinese firm and
// pass no other Chinese firm of the product of the shares (unknown = 1), capped at 1; a foreign
// firm the Chinese state owns is itself an asset (chain of length 0, interest = the state share).
OPTIONAL MATCH chain = (o:Firm)-[:OWNS*0..5]->(a)
WHERE o.id IN cn_ids AND (a:Facility OR a:Firm) AND (length(chain) = 0 OR NOT a.id IN cn_ids)
  AND none(n IN nodes(chain)[1..-1] WHERE n.id IN cn_ids)
  AND all(n IN nodes(chain) WHERE single(m IN nodes(chain) WHERE m = n))
WITH cn_roots, cn_ids, a,
     sum(head([r IN cn_roots WHERE r.id = o.id | r.f])
         * reduce(s = 1.0, r IN relationships(chain) | s * coalesce(r.share, 1.0))) AS interest
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE ($year IS NULL OR pa.year <= $year) AND pa.quantity IS NOT NULL
WITH a, interest, x, pa.stage AS stage, max(pa.year) AS ay
OPTIONAL MATCH (a)-[pa:PRODUCES]->(x)
WHERE pa.stage = stage AND pa.year = ay
WITH collect(CASE WHEN pa IS NULL THEN null ELSE {
       k: head([(a)-[:LOCATED_IN]->(c:Country) | c.id] + [(a)-[:HEADQUARTERED_IN]->(c:Country) | c.id]),
       x: x.id, stage: stage,
       q: pa.quantity * CASE WHEN interest > 1.0 THEN 1.0 ELSE interest END} END) AS owned
// The importer's suppliers of each good: latest year, preferred reporting basis.
// (The importer's inflows are read once, then matched to each good's codes in a list.)
MATCH (imp:Country)
WHERE imp.id = $importer OR imp.id = 'country:' + $importer
OPTIONAL MATCH (k:Country)-[e:EXPORTS_TO]->(imp)
WHERE e.value_usd IS NOT NULL AND ($year IS NULL OR e.year <= $year)
WITH owned, imp, e.hs_code AS code, collect({k: k, e: e}) AS flows
WITH owned, imp, collect(CASE WHEN code IS NULL THEN null ELSE {code: code, flows: flows} END)
     AS inflows
MATCH (h:HSCode)<-[:CLASSIFIED_AS]-(g)
WHERE (g:Product OR g:Material)
  AND ($item IS NULL OR g.id = $item OR g.id = 'product:' + $item OR g.id = 'material:' + $item
       OR toLower(g.name) = toLower($item))
UNWIND [b IN inflows WHERE b.code STARTS WITH h.code] AS b
UNWIND b.flows AS f
WITH DISTINCT owned, imp, g, f.k AS k, f.e AS e
WITH owned, imp, g, max(e.year) AS year, collect({k: k, e: e}) AS flows
WITH owned, imp, g, year,
     [f IN flows WHERE f.e.year = year | {k: f.k, v: f.e.value_usd, basis: f.e.flow_basis,
       b: CASE f.e.flow_basis WHEN 'imports' THEN 1 WHEN 'mirror' THEN 2 ELSE 3 END}] AS flows
WITH owned, imp, g, year, flows,
     reduce(b = 9, f IN flows | CASE WHEN f.b < b THEN f.b ELSE b END) AS best
UNWIND [f IN flows WHERE f.b = best] AS f
WITH owned, imp, g, year, f.basis AS basis, f.k AS k, sum(f.v) AS value
WITH owned, imp, g, year, basis, collect({k: k, value: value}) AS suppliers, sum(value) AS total
WHERE total > 0
// Candidate inputs: the good itself (ownership only) and every input it requires.
WITH owned, imp, g, year, basis, suppliers, total,
     [{x: g, depth: 0, named: null}]
     + [path = (g)-[:REQUIRES*1..4]->(x)
        WHERE length(path) <= $max_depth
          AND all(n IN nodes(path) WHERE single(m IN nodes(path) WHERE m = n))
        | {x: x, depth: length(path), named: last(relationships(path)).stage}] AS cands
UNWIND cands AS cd
WITH owned, imp, g, year, basis, suppliers, total, cd.x AS x, cd.depth AS depth, cd.named AS named
WITH owned, imp, g, year, basis, suppliers, total, x, depth, named,
     [(:Country)-[pp:PRODUCES {basis: 'output'}]->(x) WHERE $year IS NULL OR pp.year <= $year | pp.stage] AS xstages
WITH owned, imp, g, year, basis, suppliers, total, x, depth,
     CASE WHEN depth = 0 THEN null WHEN named IS NOT NULL THEN named
          ELSE reduce(top = null, s IN xstages | CASE
            WHEN top IS NULL
              OR CASE s WHEN 'mining' THEN 1 WHEN 'separation' THEN 2 WHEN 'refining' THEN 3
                        WHEN 'manufacturing' THEN 4 ELSE 0 END
               > CASE top WHEN 'mining' THEN 1 WHEN 'separation' THEN 2 WHEN 'refining' THEN 3
                          WHEN 'manufacturing' THEN 4 ELSE 0 END
            THEN s ELSE top END) END AS st
WITH owned, imp, g, year, basis, suppliers, total, x, st, min(depth) AS depth
// China's share of world output of the input at that stage (latest year), as in `concentration`.
WITH owned, imp, g, year, basis, suppliers, total, x, depth, st,
     [(c:Country)-[pp:PRODUCES {basis: 'output'}]->(x) WHERE pp.stage = st AND ($year IS NULL OR pp.year <= $year)
      | {c: c.id, y: pp.year, q: pp.quantity, s: pp.share, w: pp.world_quantity}] AS prod
WITH owned, imp, g, year, basis, suppliers, total, x, depth, st, prod,
     reduce(y = 0, r IN prod | CASE WHEN r.y > y THEN r.y ELSE y END) AS py
WITH owned, imp, g, year, basis, suppliers, total, x, depth, st, [r IN prod WHERE r.y = py] AS prod
WITH owned, imp, g, year, basis, suppliers, total, x, depth, st, prod,
     reduce(t = 0.0, r IN prod | t + coalesce(r.q, 0.0)) AS ptotal,
     reduce(w = 0.0, r IN prod | CASE WHEN r.w > w THEN r.w ELSE w END) AS pworld
WITH owned, imp, g, year, basis, suppliers, total,
     collect({x: x, depth: depth, st: st,
              codes: [(x)-[:CLASSIFIED_AS]->(hx:HSCode) | hx.code],
              world_cn: coalesce(head([r IN prod WHERE r.c = 'country:CHN' | coalesce(
                CASE WHEN pworld > 0 THEN toFloat(r.q) / pworld END, r.s,
                CASE WHEN ptotal > 0 THEN toFloat(r.q) / ptotal END)]), 0.0)}) AS cands
// Each supplier k: China = 1; any other k, the China content of each candidate input. Per
// supplier, its imports of the inputs' HS codes and its Chinese-owned output are read once.
UNWIND suppliers AS sup
WITH owned, sup.k AS k,
     collect({g: g, imp: imp, year: year, basis: basis, total: total,
              s_k: toFloat(sup.value) / total, cands: cands}) AS goods
WITH owned, k, goods, [r IN owned WHERE r.k = k.id] AS kowned,
     CASE WHEN k.id = 'country:CHN' THEN [] ELSE
       reduce(acc = [], gd IN goods | acc + reduce(a = [], cd IN gd.cands | a + cd.codes)) END
       AS kcodes
WITH k, goods, kowned,
     CASE WHEN size(kcodes) = 0 THEN [] ELSE
       [r IN [(j:Country)-[ex:EXPORTS_TO]->(k)
              WHERE ex.value_usd IS NOT NULL AND ($year IS NULL OR ex.year <= $year)
              | {j: j.id, y: ex.year, v: ex.value_usd, h: ex.hs_code,
                 b: CASE ex.flow_basis WHEN 'imports' THEN 1 WHEN 'mirror' THEN 2 ELSE 3 END}]
        WHERE any(c IN kcodes WHERE r.h STARTS WITH c)] END AS kflows
UNWIND goods AS gd
UNWIND CASE WHEN k.id = 'country:CHN' THEN [null] ELSE gd.cands END AS cd
WITH k, kowned, gd, cd,
     CASE WHEN cd IS NULL OR cd.depth = 0 THEN []
          ELSE [r IN kflows WHERE any(c IN cd.codes WHERE r.h STARTS WITH c)] END AS kimp
WITH k, kowned, gd, cd, kimp,
     reduce(y = 0, r IN kimp | CASE WHEN r.y > y THEN r.y ELSE y END) AS ky
WITH k, kowned, gd, cd, [r IN kimp WHERE r.y = ky] AS kimp
WITH k, kowned, gd, cd, kimp,
     reduce(b = 9, r IN kimp | CASE WHEN r.b < b THEN r.b ELSE b END) AS kb
WITH k, kowned, gd, cd, [r IN kimp WHERE r.b = kb] AS kimp
WITH k, gd, cd,
     reduce(t = 0.0, r IN kimp | t + r.v) AS kt,
     reduce(t = 0.0, r IN [r IN kimp WHERE r.j = 'country:CHN'] | t + r.v) AS kc,
     CASE WHEN cd IS NULL THEN [] ELSE [r IN kowned WHERE r.x = cd.x.id] END AS xowned
WITH k, gd, cd, kt, kc, xowned,
     CASE WHEN size(xowned) = 0 THEN [] ELSE
       [(k)-[p3:PRODUCES {basis: 'output'}]->(x3) WHERE x3.id = cd.x.id AND p3.quantity IS NOT NULL
          AND ($year IS NULL OR p3.year <= $year) | {stage: p3.stage, y: p3.year, q: p3.quantity}]
     END AS knat
// Ownership: Chinese-owned output of the input in k over k's national output, at each stage.
WITH k, gd, cd, kt, kc,
     [s IN CASE WHEN size(xowned) = 0 THEN []
               WHEN cd.st IS NULL THEN ['mining', 'separation', 'refining', 'manufacturing']
               ELSE [cd.st] END
      | {stage: s,
         own: reduce(t = 0.0, r IN [r IN xowned WHERE r.stage = s] | t + r.q),
         nat: reduce(b = {y: 0, q: null}, n IN [n IN knat WHERE n.stage = s]
                     | CASE WHEN n.y > b.y THEN n ELSE b END).q}] AS per_stage
WITH k, gd, cd, kt, kc,
     reduce(o = {share: 0.0, stage: null}, m IN per_stage | CASE
       WHEN m.nat > 0 AND m.own / m.nat > o.share THEN {share: m.own / m.nat, stage: m.stage}
       ELSE o END) AS own
WITH k, gd, cd, own,
     CASE WHEN cd IS NULL THEN 1.0 WHEN cd.depth = 0 THEN 0.0
          WHEN kt > 0 THEN kc / kt ELSE cd.world_cn END AS base,
     CASE WHEN cd IS NULL THEN 'direct' WHEN cd.depth = 0 THEN null
          WHEN kt > 0 THEN 'trade' ELSE 'world' END AS base_basis
WITH k, gd, cd,
     CASE WHEN own.share > base THEN CASE WHEN own.share > 1.0 THEN 1.0 ELSE own.share END
          ELSE base END AS c,
     CASE WHEN own.share > base THEN 'ownership' ELSE base_basis END AS c_basis,
     CASE WHEN own.share > base THEN own.stage ELSE cd.st END AS c_stage
ORDER BY c DESC, cd.depth, cd.x.id
WITH gd.imp AS imp, gd.g AS g, gd.year AS year, gd.basis AS basis, gd.total AS total, k,
     gd.s_k AS s_k,
     head(collect({c: c, basis: c_basis, stage: c_stage, input: cd.x.name, input_id: cd.x.id,
                   depth: cd.depth})) AS best
WITH imp, g, year, basis, total, k, s_k, best, s_k * best.c AS contribution
ORDER BY contribution DESC, k.id
WITH imp, g, year, basis, total,
     sum(CASE WHEN k.id = 'country:CHN' THEN s_k ELSE 0.0 END) AS direct,
     sum(contribution) AS lookthrough, count(k) AS suppliers,
     collect(CASE WHEN contribution > 0 THEN {
       supplier: k.name, supplier_iso3: substring(k.id, 8), supplier_share: s_k,
       input: best.input, input_id: best.input_id, depth: best.depth, stage: best.stage,
       china_share: best.c, basis: best.basis, contribution: contribution} END) AS via
RETURN g.name AS item, direct AS direct_share,
       CASE WHEN lookthrough > 1.0 THEN 1.0 ELSE lookthrough END AS lookthrough_share, via,
       CASE WHEN lookthrough > 1.0 THEN 1.0 - direct ELSE lookthrough - direct END AS hidden_share,
       year, total AS import_value_usd, suppliers, basis AS flow_basis, g.id AS item_id,
       imp.name AS importer
ORDER BY lookthrough_share DESC, item
