// Exposure trend: China's share of an importer's imports by year, with rerouting signals
// Chokepoint stored query queries/exposure-trend.cypher (kg query exposure-trend); the :param lines set its defaults.
:param importer => 'USA';
:param item => null;
:param hs_code => null;
:param year_from => null;
:param min_change => 0.02;

// title: Exposure trend: China's share of an importer's imports by year, with rerouting signals
// description: Per traded HS code and year, for an importer (default the United States): the import
//   value, China's direct share, the top three other suppliers with their shares, and a rerouting
//   signal. One row per code the importer's partner flows are recorded at (the USITC DataWeb
//   series of US imports by partner, HTS headings 1993-2025; BACI's mirror flows at six digits;
//   cited flows), with `goods` naming the products and materials classified at or under that
//   code; a heading such as 8505 covers magnets and electromagnets alike. `item` keeps the codes
//   that cover a product or material; `hs_code` keeps a code and the finer codes under it. Per code and year the
//   importer's own report is used, else mirror data; annual figures only. Exporters' reports (the
//   US's own exports to a partner, China's customs by destination) are not used: one exporter's
//   shipments are not the importer's imports.
//   `china_share` is China's value over the importer's IMPORTS total of that code and year when
//   the graph has one (`share_of` = "total"); otherwise over the partners the source names
//   (`share_of` = "named partners": DataWeb exports name chosen partners only, so this is a share
//   among them, a trend indicator, never a share of all imports) and `import_value_usd` is null.
//   `signal` flags rerouting: between a year and the previous year the series has (same
//   `share_of`), China's share fell by at least `min_change` while another supplier's rose by at
//   least `min_change`, and that supplier's own imports from China of the code (finer codes
//   count) or of the goods' inputs (REQUIRES, one level; their own HS codes or their group's) were
//   larger at the later year than at the earlier one (each read at the latest year at or before
//   it, by value). `signals` gives each such supplier with its share change and the China inflow
//   it rests on. Limits: a signal is a pointer, not proof (capacity built with Chinese inputs,
//   re-exports and transshipment look alike in trade data); the DataWeb series names 18 partners
//   and BACI has only the years the graph holds (2022 and 2024 in the bundled extract), so a
//   supplier's Chinese inflow is often compared across different years than the shares.
// param importer: string = "USA"
// param item: string = null
// param hs_code: string = null
// param year_from: int = null
// param min_change: float = 0.02
// returns: item, year, china_share, top_suppliers, signal, hs_code, goods, import_value_usd,
//   named_value_usd, share_of, flow_basis, signals, importer
// table: item, year, china_share, share_of, top_suppliers, signal
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param importer => 'USA';
// :param item => null;
// :param hs_code => null;
// :param year_from => null;
// :param min_change => 0.02;

MATCH (imp:Country)
WHERE imp.id = $importer OR imp.id = 'country:' + $importer
// Exporters' reports (flow_basis exports: the US's own exports, China's customs by destination)
// are each one exporter's shipments, not the importer's partner mix: never a series here.
MATCH (k:Country)-[e:EXPORTS_TO]->(imp)
WHERE e.value_usd IS NOT NULL AND coalesce(e.month, 0) = 0 AND e.flow_basis <> 'exports'
  AND ($year_from IS NULL OR e.year >= $year_from)
WITH imp, e.hs_code AS code, e.year AS year, e.flow_basis AS basis, k, sum(e.value_usd) AS v
WITH imp, code, year, basis, collect({k: k.id, iso3: substring(k.id, 8), name: k.name, v: v})
     AS partners, sum(v) AS named
WITH imp, code, year,
     collect({basis: basis, partners: partners, named: named,
              b: CASE basis WHEN 'imports' THEN 1 WHEN 'mirror' THEN 2 ELSE 3 END}) AS reports
WITH imp, code, collect({year: year, d: reduce(best = null, r IN reports |
       CASE WHEN best IS NULL OR r.b < best.b THEN r ELSE best END)}) AS years
WITH imp, collect({code: code, years: years}) AS series_codes
// Products and materials with their HS codes, and the importer's annual totals, read once.
WITH imp, series_codes,
     [(cg)-[:CLASSIFIED_AS]->(ch:HSCode) WHERE cg:Product OR cg:Material | {g: cg, code: ch.code}]
       AS classes,
     [(imp)-[t:IMPORTS]->(ht) WHERE coalesce(t.month, 0) = 0 AND t.value_usd IS NOT NULL
      | {code: ht.code, y: t.year, basis: t.flow_basis, v: t.value_usd}] AS totals
// The goods of each code: the items whose code starts with it, in the order of `classes`. Found by
// grouping the codes with every prefix of the items' codes (a hash join), not by testing every
// pair of code and item.
CALL {
  WITH classes
  UNWIND range(0, size(classes) - 1) AS i
  WITH i, classes[i] AS c
  UNWIND range(0, size(c.code)) AS n
  RETURN collect({k: left(c.code, n), i: i, g: c.g}) AS prefixes
}
UNWIND [sc IN series_codes | {k: sc.code, sc: sc}] + prefixes AS e
WITH imp, totals, e
ORDER BY e.i
WITH imp, totals, e.k AS k, collect(e.sc) AS scs,
     collect(CASE WHEN e.sc IS NULL THEN e.g END) AS found
UNWIND scs AS sc
WITH imp, totals, sc.code AS code, sc.years AS years,
     reduce(acc = [], g IN found | CASE WHEN NOT g IN acc THEN acc + [g] ELSE acc END) AS goods
WHERE ($hs_code IS NULL OR code = $hs_code OR code STARTS WITH $hs_code)
  AND ($item IS NULL
       OR any(g IN goods WHERE g.id = $item OR g.id = 'product:' + $item OR g.id = 'material:' + $item
              OR toLower(g.name) = toLower($item)))
MATCH (h:HSCode {id: 'hs:' + code})
UNWIND years AS sy
WITH imp, totals, h, code, goods, sy.year AS year, sy.d AS d
// The importer's total of the code that year, from the same reporting basis.
WITH imp, h, code, year, d, goods,
     head([t IN totals WHERE t.code = code AND t.y = year AND t.basis = d.basis | t.v]) AS total
WITH imp, h, code, year, d, goods, total,
     CASE WHEN total > 0 THEN total ELSE d.named END AS denom
WITH imp, h, code, year, d, goods, total, denom,
     [p IN d.partners | {iso3: p.iso3, k: p.k, name: p.name, v: p.v, share: p.v / denom}] AS shares
WITH imp, h, code, year, d, goods, total, shares,
     reduce(s = 0.0, p IN shares | CASE WHEN p.k = 'country:CHN' THEN s + p.share ELSE s END)
       AS china_share,
     CASE WHEN total > 0 THEN 'total' ELSE 'named partners' END AS share_of
// Top three other suppliers by value (three passes of a running maximum: no sort needed).
WITH imp, h, code, year, d, goods, total, shares, china_share, share_of,
     [p IN shares WHERE p.k <> 'country:CHN'] AS others
WITH imp, h, code, year, d, goods, total, shares, china_share, share_of, others,
     reduce(b = null, p IN others | CASE WHEN b IS NULL OR p.v > b.v OR (p.v = b.v AND p.iso3 < b.iso3)
                                         THEN p ELSE b END) AS t1
WITH imp, h, code, year, d, goods, total, shares, china_share, share_of, others, t1,
     reduce(b = null, p IN [q IN others WHERE q.k <> t1.k] | CASE
       WHEN b IS NULL OR p.v > b.v OR (p.v = b.v AND p.iso3 < b.iso3) THEN p ELSE b END) AS t2
WITH imp, h, code, year, d, goods, total, shares, china_share, share_of, t1, t2,
     reduce(b = null, p IN [q IN others WHERE q.k <> t1.k AND q.k <> t2.k] | CASE
       WHEN b IS NULL OR p.v > b.v OR (p.v = b.v AND p.iso3 < b.iso3) THEN p ELSE b END) AS t3
WITH imp, h, code, year, d, goods, total, shares, china_share, share_of,
     [t IN [t1, t2, t3] WHERE t IS NOT NULL | {supplier: t.name, iso3: t.iso3, share: t.share}]
       AS others
// The series of each code, in year order, to compare each year with the one before.
ORDER BY code, year
WITH imp, h, code, goods,
     collect({year: year, basis: d.basis, total: total, named: d.named, china: china_share,
              share_of: share_of, shares: shares, top: others}) AS series
// Codes whose rerouting would show: the item's own code and its goods' inputs' codes.
UNWIND CASE WHEN size(goods) = 0 THEN [null] ELSE goods END AS g0
OPTIONAL MATCH (g0)-[:REQUIRES]->(x)
WITH imp, h, code, goods, series, x,
     [(x)-[:CLASSIFIED_AS]->(hx:HSCode) | hx.code] AS xcodes
// (a group's codes through the id index: a pattern over every Material per input was the cost)
CALL {
  WITH x
  UNWIND CASE WHEN x IS NULL THEN [] ELSE coalesce(x.member_of, []) END AS gid
  MATCH (grp:Material {id: gid})-[:CLASSIFIED_AS]->(hgr:HSCode)
  RETURN collect(hgr.code) AS gcodes
}
WITH imp, h, code, goods, series,
     collect(CASE WHEN x IS NULL THEN null ELSE {own: xcodes, grp: gcodes} END) AS xs
WITH imp, h, code, goods, series,
     [code] + reduce(acc = [], z IN xs | acc + CASE WHEN size(z.own) > 0 THEN z.own ELSE z.grp END)
       AS watch
UNWIND range(0, size(series) - 1) AS i
WITH imp, h, code, goods, watch, series[i] AS cur,
     CASE WHEN i > 0 THEN series[i - 1] END AS prev
WITH imp, h, code, goods, watch, cur, prev,
     CASE WHEN prev IS NULL OR prev.share_of <> cur.share_of
               OR prev.china - cur.china < $min_change THEN []
          ELSE [p IN cur.shares WHERE p.k <> 'country:CHN'
                AND p.share - coalesce(head([q IN prev.shares WHERE q.k = p.k | q.share]), 0.0)
                    >= $min_change
                | {k: p.k, iso3: p.iso3, name: p.name, share: p.share,
                   change: p.share - coalesce(head([q IN prev.shares WHERE q.k = p.k | q.share]), 0.0)}]
     END AS risers
// Each riser's own imports from China of the watched codes, at or before each of the two years.
UNWIND CASE WHEN size(risers) = 0 THEN [null] ELSE risers END AS r
OPTIONAL MATCH (kk:Country)
WHERE kk.id = r.k
WITH imp, h, code, goods, cur, prev, r, watch,
     CASE WHEN kk IS NULL THEN [] ELSE
       [f IN [(cn:Country)-[x2:EXPORTS_TO]->(kk)
              WHERE cn.id = 'country:CHN' AND coalesce(x2.month, 0) = 0 AND x2.value_usd IS NOT NULL
              | {h: x2.hs_code, y: x2.year, v: x2.value_usd}]
        WHERE any(c IN watch WHERE f.h STARTS WITH c)] END AS inflow
WITH imp, h, code, goods, cur, prev, r, inflow,
     reduce(y = null, f IN inflow | CASE WHEN f.y <= cur.year AND (y IS NULL OR f.y > y) THEN f.y ELSE y END)
       AS y1,
     reduce(y = null, f IN inflow | CASE WHEN f.y <= prev.year AND (y IS NULL OR f.y > y) THEN f.y ELSE y END)
       AS y0
WITH imp, h, code, goods, cur, prev, r, y0, y1,
     reduce(s = 0.0, f IN [f IN inflow WHERE f.y = y1] | s + f.v) AS v1,
     reduce(s = 0.0, f IN [f IN inflow WHERE f.y = y0] | s + f.v) AS v0
WITH imp, h, code, goods, cur, prev,
     collect(CASE WHEN r IS NOT NULL AND y0 IS NOT NULL AND y1 IS NOT NULL AND y1 > y0 AND v1 > v0
             THEN {supplier: r.name, iso3: r.iso3, share: r.share, share_change: r.change,
                   china_inflow_from: y0, china_inflow_to: y1, china_inflow_before: v0,
                   china_inflow_after: v1} END) AS signals
RETURN h.name AS item, cur.year AS year, cur.china AS china_share, cur.top AS top_suppliers,
       CASE WHEN size(signals) = 0 THEN null ELSE
         'rerouting? China down since ' + toString(prev.year) + '; up: '
         + reduce(s = '', x IN signals | s + CASE WHEN s = '' THEN '' ELSE ', ' END + x.iso3)
         + ' (and their imports from China rose)' END AS signal,
       code AS hs_code, [g IN goods | g.name] AS goods,
       cur.total AS import_value_usd, cur.named AS named_value_usd, cur.share_of AS share_of,
       cur.basis AS flow_basis, signals, imp.name AS importer
ORDER BY hs_code, year
