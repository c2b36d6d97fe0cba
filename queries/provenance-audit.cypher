// title: Provenance audit: unsourced facts, stale figures, sources by licence
// description: Checks that every fact can be traced to a source and shows how current and how
//   reusable the evidence is. Rows by `kind`: `node-without-source` and
//   `relationship-without-source` (no `source_ids`; the loader rejects these, so a count above 0
//   means data written around it); `unknown-source` (cites a Source id that is not in the graph;
//   `detail` says nodes or relationships); `stale-figure` (per relationship type in `detail`: series
//   of figures - the same fact for successive years, e.g. one country's output of one material at
//   one stage - whose newest year is more than `max_age` years before the reference year, which is
//   `as_of_year` or else the newest year of any figure in the graph); `superseded-figure` (older
//   figures of a series that has a newer one: kept for history, not used by the default queries);
//   `estimated-figure` (PRODUCES marked estimated); `low-confidence` (sources graded L - aggregators,
//   blogs, wiki mirrors - with `detail` Source, and facts graded L per relationship type: a weak
//   source, conflicting sources or an unconfirmed item); `undated-share` (ownership shares without a
//   year); `validity-ended` (measures whose suspension ended before `as_of`, default today, with
//   no cited source newer than the end - publication year, else the year retrieved - so what
//   applies now is unverified; export-control-impact reports them as lapsed-unverified);
//   `licence` (one row per licence: `count` sources, `cited` facts citing them); and
//   `unused-source` (Source nodes no fact cites). `example` is one id or fact of that kind. The
//   first three kinds always appear (count 0 when clean). Reading it: unknown sources and unsourced
//   facts are errors; stale figures are a reason to refresh a source; licences tell what may be
//   redistributed. Limits: it checks that a source is cited, not that the figure matches it.
// param max_age: int = 5
// param as_of_year: int = null
// param as_of: string = "today"
// returns: kind, count, example, detail, cited
// table: kind, count, example, detail
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param max_age => 5;
// :param as_of_year => null;
// :param as_of => toString(date());
CALL {
  OPTIONAL MATCH (n)
  WHERE (n.source_ids IS NULL OR size(n.source_ids) = 0) AND NOT n:_Meta
  RETURN 'node-without-source' AS kind, null AS detail, count(n) AS count,
         head(collect(n.id)) AS example, null AS cited
  UNION ALL
  OPTIONAL MATCH (a)-[r]->(b)
  WHERE r.source_ids IS NULL OR size(r.source_ids) = 0
  RETURN 'relationship-without-source' AS kind, null AS detail, count(r) AS count,
         head(collect(a.id + ' ' + type(r) + ' ' + b.id)) AS example, null AS cited
  UNION ALL
  OPTIONAL MATCH (s:Source)
  WITH collect(s.id) AS known
  OPTIONAL MATCH (n)
  WHERE any(x IN coalesce(n.source_ids, []) WHERE NOT x IN known)
  RETURN 'unknown-source' AS kind, 'nodes' AS detail, count(n) AS count,
         head(collect(n.id + ' cites ' + head([x IN n.source_ids WHERE NOT x IN known]))) AS example,
         null AS cited
  UNION ALL
  OPTIONAL MATCH (s:Source)
  WITH collect(s.id) AS known
  OPTIONAL MATCH (a)-[r]->(b)
  WHERE any(x IN coalesce(r.source_ids, []) WHERE NOT x IN known)
  RETURN 'unknown-source' AS kind, 'relationships' AS detail, count(r) AS count,
         head(collect(a.id + ' ' + type(r) + ' ' + b.id + ' cites '
                      + head([x IN r.source_ids WHERE NOT x IN known]))) AS example,
         null AS cited
  UNION ALL
  MATCH ()-[f:PRODUCES|HOLDS_RESERVES|EXPORTS_TO|IMPORT_RELIANCE]->()
  WITH coalesce($as_of_year, max(f.year)) AS ref
  MATCH (a)-[r:PRODUCES|HOLDS_RESERVES|EXPORTS_TO|IMPORT_RELIANCE]->(b)
  WHERE r.year IS NOT NULL
  WITH ref, a, b, type(r) AS t, r.stage AS stage, r.hs_code AS hs, r.flow_basis AS basis,
       max(r.year) AS latest, count(r) AS n
  WITH t, sum(CASE WHEN latest < ref - $max_age THEN 1 ELSE 0 END) AS stale,
       min(CASE WHEN latest < ref - $max_age
                THEN a.id + ' ' + t + ' ' + b.id + ' newest ' + toString(latest) END) AS stale_example,
       sum(n - 1) AS superseded,
       min(CASE WHEN n > 1 THEN a.id + ' ' + t + ' ' + b.id + ' newest ' + toString(latest) END)
         AS superseded_example
  UNWIND [{kind: 'stale-figure', count: stale, example: stale_example},
          {kind: 'superseded-figure', count: superseded, example: superseded_example}] AS row
  WITH t, row
  WHERE row.count > 0
  RETURN row.kind AS kind, t AS detail, toInteger(row.count) AS count, row.example AS example,
         null AS cited
  UNION ALL
  MATCH (a)-[r:PRODUCES]->(b)
  WHERE r.estimated = true
  RETURN 'estimated-figure' AS kind, 'PRODUCES' AS detail, count(r) AS count,
         head(collect(a.id + ' PRODUCES ' + b.id + ' ' + r.stage + ' ' + toString(r.year)))
           AS example, null AS cited
  UNION ALL
  MATCH (s:Source)
  WHERE s.confidence = 'L'
  RETURN 'low-confidence' AS kind, 'Source' AS detail, count(s) AS count,
         head(collect(s.id)) AS example, null AS cited
  UNION ALL
  MATCH (a)-[r]->(b)
  WHERE r.confidence = 'L'
  RETURN 'low-confidence' AS kind, type(r) AS detail, count(r) AS count,
         head(collect(a.id + ' ' + type(r) + ' ' + b.id)) AS example, null AS cited
  UNION ALL
  MATCH (n)
  WHERE n.suspended_until IS NOT NULL AND n.suspended_until < $as_of
  OPTIONAL MATCH (src:Source)
  WHERE src.id IN coalesce(n.source_ids, [])
  WITH n, max(coalesce(src.year, toInteger(left(src.retrieved, 4)))) AS newest
  WHERE newest IS NULL OR newest <= toInteger(left(n.suspended_until, 4))
  WITH n
  ORDER BY n.suspended_until, n.id
  WITH count(n) AS count, head(collect(n.id + ' suspended until ' + n.suspended_until)) AS example
  WHERE count > 0
  RETURN 'validity-ended' AS kind, 'suspension' AS detail, count, example, null AS cited
  UNION ALL
  MATCH (a)-[r]->(b)
  WHERE (type(r) = 'OWNS' OR type(r) = 'STATE_OWNED_BY') AND r.share IS NOT NULL AND r.year IS NULL
  RETURN 'undated-share' AS kind, type(r) AS detail, count(r) AS count,
         head(collect(a.id + ' ' + type(r) + ' ' + b.id)) AS example, null AS cited
  UNION ALL
  CALL {
    MATCH (n)
    WHERE NOT n:Source
    UNWIND coalesce(n.source_ids, []) AS sid
    RETURN sid
    UNION ALL
    MATCH ()-[r]->()
    UNWIND coalesce(r.source_ids, []) AS sid
    RETURN sid
  }
  WITH sid, count(*) AS uses
  WITH collect({sid: sid, uses: uses}) AS uses
  MATCH (s:Source)
  WITH s, reduce(t = 0, u IN [u IN uses WHERE u.sid = s.id] | t + u.uses) AS cited
  ORDER BY s.id
  WITH coalesce(s.license, 'unknown') AS licence, collect({id: s.id, cited: cited}) AS sources
  WITH collect({kind: 'licence', detail: licence, count: size(sources),
                example: head(sources).id,
                cited: reduce(t = 0, s IN sources | t + s.cited)}) AS licences,
       collect(sources) AS groups
  WITH licences, [s IN reduce(acc = [], g IN groups | acc + g) WHERE s.cited = 0] AS unused
  UNWIND licences + CASE WHEN size(unused) = 0 THEN [] ELSE
           [{kind: 'unused-source', detail: null, count: size(unused), example: head(unused).id,
             cited: 0}] END AS row
  RETURN row.kind AS kind, row.detail AS detail, row.count AS count, row.example AS example,
         row.cited AS cited
}
RETURN kind, count, example, detail, cited
ORDER BY kind, detail
