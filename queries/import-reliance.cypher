// title: Net import reliance and ranked import sources
// description: For an importer (default the United States; USGS publishes it for the US) and each
//   material, the net import reliance of the latest year (or the latest at or before `year`) as a
//   fraction of apparent consumption (imports - exports +/- stock changes, over production + imports
//   - exports +/- stock changes; USGS Mineral Commodity Summaries), with the source's qualifier kept
//   (`E` net exporter, `W` withheld, `NA`, `>` or `<` for a bound, in which case the number is the
//   bound), the ranked import sources (ISO3, largest first) and their shares where the source gives
//   them, `top_source` (ISO3) and `top_source_name`, `china_rank` (1 = China is the largest source,
//   null = not listed) and the previous figure for a trend. Reading it: 1.0 means fully import
//   dependent; a material with high reliance and China first is the core of US exposure; null
//   reliance with qualifier E means a net exporter, not zero. Limits: the USGS import sources cover
//   a multi-year window and count direct imports only (China's content in imports from elsewhere
//   is in china-exposure); qualifiers are not numbers and sort last.
// param importer: string = "USA"
// param material: string = null
// param year: int = null
// returns: material, net_import_reliance, top_source, top_source_name, qualifier, sources,
//   source_shares, china_rank, year, previous_year, previous_net_import_reliance, critical_lists,
//   material_id
// table: material, net_import_reliance, qualifier, top_source, year
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param importer => 'USA';
// :param material => null;
// :param year => null;
MATCH (imp:Country)-[r:IMPORT_RELIANCE]->(m:Material)
WHERE (imp.id = $importer OR imp.id = 'country:' + $importer)
  AND ($material IS NULL OR m.id = $material OR m.id = 'material:' + $material
       OR toLower(m.name) = toLower($material))
  AND ($year IS NULL OR r.year <= $year)
WITH imp, m, max(r.year) AS yr
MATCH (imp)-[r:IMPORT_RELIANCE]->(m)
WHERE r.year = yr
WITH imp, m, yr, r, coalesce(r.sources, []) AS sources,
     [(imp)-[r2:IMPORT_RELIANCE]->(m) WHERE r2.year < yr
      | {y: r2.year, v: r2.net_import_reliance}] AS earlier
OPTIONAL MATCH (top:Country)
WHERE size(sources) > 0 AND top.id = 'country:' + sources[0]
WITH m, yr, r, sources, top,
     reduce(b = {y: null, v: null}, e IN earlier | CASE WHEN b.y IS NULL OR e.y > b.y THEN e ELSE b END)
       AS prev
RETURN m.name AS material, r.net_import_reliance AS net_import_reliance,
       CASE WHEN size(sources) > 0 THEN sources[0] END AS top_source, top.name AS top_source_name,
       r.qualifier AS qualifier, sources, r.source_shares AS source_shares,
       head([i IN range(0, size(sources) - 1) WHERE sources[i] = 'CHN' | i + 1]) AS china_rank,
       yr AS year, prev.y AS previous_year, prev.v AS previous_net_import_reliance,
       m.critical_lists AS critical_lists, m.id AS material_id
ORDER BY coalesce(net_import_reliance, -1.0) DESC, material
