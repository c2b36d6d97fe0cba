// HS classification gaps that blur the trade picture
// Chokepoint stored query queries/classification-gaps.cypher (kg query classification-gaps); the :param lines set its defaults.
:param issue => null;
:param graph_size => null;

// title: HS classification gaps that blur the trade picture
// description: Where the Harmonized System cannot separate the goods the graph tracks, so trade
//   figures for them are ambiguous. Four issues: `shared-code` - one HS code classifies several
//   materials or products (e.g. 8112.92 covers unwrought gallium, germanium, indium and others),
//   so trade under it cannot be split between them and every query that reads trade for one of
//   them sees the whole code; `coarse-trade` - trade flows are recorded at a code that is a
//   heading above the items' own codes (e.g. flows at 8112 for items at 8112.92), so those flows
//   are not attributed to any item; `no-hs-code` - a material or product has no HS code, so no
//   trade can be found for it; `no-trade-data` - an item has HS codes but no flow in the graph is
//   recorded at or below them. `items` lists the names involved (sorted), `item_ids` their ids and
//   `n_items` how many. Reading it: a shared or coarse code means a trade-based share (china-exposure,
//   export-control-impact) is for the whole code, not the item. Limits: only codes and flows in the
//   graph are checked; national tariff lines (HTS 10-digit) finer than the item's code are matched
//   by prefix and do not count as gaps; concordance between HS versions is not checked.
// param issue: string = null
// param graph_size: list<int> = null
// returns: hs_code, items, issue, item_ids, n_items, detail
// table: hs_code, items, issue
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param issue => null;
// :param graph_size => null;
CALL {
  MATCH (i)-[:CLASSIFIED_AS]->(h:HSCode)
  WHERE i:Material OR i:Product
  WITH h, i
  ORDER BY i.name
  WITH h, collect(DISTINCT i) AS found
  WHERE size(found) > 1
  RETURN h.code AS hs_code, [i IN found | i.name] AS items, 'shared-code' AS issue,
         [i IN found | i.id] AS item_ids,
         'several items share this code: trade recorded under it cannot be split between them'
           AS detail
  UNION ALL
  MATCH (i)
  WHERE (i:Material OR i:Product) AND NOT (i)-[:CLASSIFIED_AS]->(:HSCode)
  RETURN null AS hs_code, [i.name] AS items, 'no-hs-code' AS issue, [i.id] AS item_ids,
         'no HS code: no trade can be found for it' AS detail
  UNION ALL
  // coarse-trade and no-trade-data from one pass over the trade flows. A code is traded above an
  // item's code when it is a proper prefix of it, at or below it when the item's code is a prefix
  // of it: both are found by grouping on the prefixes (a hash join), not by testing every pair.
  // (the traded codes are collected in a subquery so that the list is never a grouping key)
  MATCH (i)-[:CLASSIFIED_AS]->(h:HSCode)
  WHERE i:Material OR i:Product
  WITH i, collect(h.code) AS codes
  WITH collect({i: i, codes: codes}) AS items
  // (the traded codes are derived when the graph is written, kg/store/derived.py: read when they
  // match the graph, `graph_size` filled in by the runner, else collected here the same way)
  OPTIONAL MATCH (stamp:_Meta {id: 'derived:stamp'})
  WITH items, coalesce(stamp.nodes = $graph_size[0] AND stamp.relationships = $graph_size[1]
                       AND 'traded-codes' IN stamp.kinds, false) AS derived
  CALL {
    WITH derived
    UNWIND CASE WHEN derived THEN [1] ELSE [] END AS use
    MATCH (d:_Meta {id: 'derived:traded-codes'})
    RETURN d.codes AS traded
    UNION ALL
    WITH derived
    UNWIND CASE WHEN derived THEN [] ELSE [1] END AS use
    OPTIONAL MATCH ()-[e:EXPORTS_TO]->()
    RETURN collect(DISTINCT e.hs_code) AS traded
  }
  UNWIND [t IN traded | {t: t, i: null, codes: []}] + items AS r
  UNWIND CASE WHEN r.t IS NOT NULL
           THEN [{k: r.t, kind: 'traded'}]
                + [n IN range(0, size(coalesce(r.t, ''))) | {k: left(r.t, n), kind: 'traded-prefix'}]
           ELSE [{k: null, kind: 'item'}]
                + [c IN r.codes | {k: c, kind: 'code'}]
                + reduce(acc = [], c IN r.codes
                         | acc + [n IN range(0, size(c) - 1) | {k: left(c, n), kind: 'code-prefix'}])
         END AS key
  WITH key.k AS k, key.kind AS kind, r.i AS i, r.codes AS codes
  WITH k, collect(CASE WHEN kind = 'traded' THEN true END) AS here,
       collect(CASE WHEN kind = 'traded-prefix' THEN true END) AS below,
       collect(CASE WHEN kind = 'code-prefix' THEN i END) AS finer,
       collect(CASE WHEN kind = 'code' OR kind = 'item' THEN {i: i, codes: codes} END) AS owners
  UNWIND CASE WHEN size(here) > 0 AND size(finer) > 0
              THEN [{issue: 'coarse-trade', t: k, i: null, traded: null}] ELSE [] END
         + [o IN owners | {issue: 'item', t: null, i: o.i, codes: o.codes,
                           traded: k IS NOT NULL AND size(below) > 0}] AS out
  WITH out.issue AS kind, out.t AS t, out.i AS oi, out.codes AS codes, out.traded AS has_trade,
       finer
  UNWIND CASE WHEN kind = 'coarse-trade' THEN finer ELSE [oi] END AS i
  WITH kind, t, i, codes, has_trade
  ORDER BY i.name
  WITH kind, t, CASE WHEN kind = 'item' THEN i END AS owner, codes,
       collect(DISTINCT i) AS found, collect(has_trade) AS trade_flags
  WHERE kind = 'coarse-trade' OR none(f IN trade_flags WHERE f)
  RETURN CASE WHEN kind = 'coarse-trade' THEN t ELSE head(codes) END AS hs_code,
         [i IN found | i.name] AS items,
         CASE WHEN kind = 'coarse-trade' THEN 'coarse-trade' ELSE 'no-trade-data' END AS issue,
         [i IN found | i.id] AS item_ids,
         CASE WHEN kind = 'coarse-trade'
              THEN 'trade is recorded at this heading, above the codes of the items: it is not attributed to them'
              ELSE 'has HS codes but no trade flow in the graph at or below them' END AS detail
}
WITH hs_code, items, issue, item_ids, detail
WHERE $issue IS NULL OR issue = $issue
RETURN hs_code, items, issue, item_ids, size(items) AS n_items, detail
ORDER BY issue, hs_code, head(items)
