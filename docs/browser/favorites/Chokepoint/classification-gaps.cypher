// HS classification gaps that blur the trade picture
// Chokepoint stored query queries/classification-gaps.cypher (kg query classification-gaps); the :param lines set its defaults.
:param issue => null;

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
// returns: hs_code, items, issue, item_ids, n_items, detail
// table: hs_code, items, issue
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param issue => null;
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
  OPTIONAL MATCH ()-[e:EXPORTS_TO]->()
  WITH collect(DISTINCT e.hs_code) AS traded
  MATCH (i)-[:CLASSIFIED_AS]->(h:HSCode)
  WHERE i:Material OR i:Product
  UNWIND [t IN traded WHERE h.code STARTS WITH t AND size(h.code) > size(t)] AS t
  WITH t, i
  ORDER BY i.name
  WITH t, collect(DISTINCT i) AS found
  RETURN t AS hs_code, [i IN found | i.name] AS items, 'coarse-trade' AS issue,
         [i IN found | i.id] AS item_ids,
         'trade is recorded at this heading, above the codes of the items: it is not attributed to them'
           AS detail
  UNION ALL
  MATCH (i)
  WHERE (i:Material OR i:Product) AND NOT (i)-[:CLASSIFIED_AS]->(:HSCode)
  RETURN null AS hs_code, [i.name] AS items, 'no-hs-code' AS issue, [i.id] AS item_ids,
         'no HS code: no trade can be found for it' AS detail
  UNION ALL
  OPTIONAL MATCH ()-[e:EXPORTS_TO]->()
  WITH collect(DISTINCT e.hs_code) AS traded
  MATCH (i)-[:CLASSIFIED_AS]->(h:HSCode)
  WHERE i:Material OR i:Product
  WITH traded, i, collect(h.code) AS codes
  WHERE none(c IN codes WHERE any(t IN traded WHERE t STARTS WITH c))
  RETURN head(codes) AS hs_code, [i.name] AS items, 'no-trade-data' AS issue, [i.id] AS item_ids,
         'has HS codes but no trade flow in the graph at or below them' AS detail
}
WITH hs_code, items, issue, item_ids, detail
WHERE $issue IS NULL OR issue = $issue
RETURN hs_code, items, issue, item_ids, size(items) AS n_items, detail
ORDER BY issue, hs_code, head(items)
