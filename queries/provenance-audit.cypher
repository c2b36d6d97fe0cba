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
// param graph_size: list<int> = null
// returns: kind, count, example, detail, cited
// table: kind, count, example, detail
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param max_age => 5;
// :param as_of_year => null;
// :param as_of => toString(date());
// :param graph_size => null;
CALL {
  OPTIONAL MATCH (n)
  WHERE (n.source_ids IS NULL OR size(n.source_ids) = 0) AND NOT n:_Meta
  RETURN 'node-without-source' AS kind, null AS detail, count(n) AS count,
         head(collect(n.id)) AS example, null AS cited
  UNION ALL
  CALL {
    OPTIONAL MATCH (s:Source)
    RETURN collect(s.id) AS known
  }
  // each distinct source list is checked once; the example is looked up only if one fails
  CALL {
    OPTIONAL MATCH (m)
    RETURN m.source_ids AS sids, count(m) AS k
  }
  WITH known, toInteger(sum(CASE WHEN any(x IN coalesce(sids, []) WHERE NOT x IN known)
                                 THEN k ELSE 0 END)) AS count
  CALL {
    WITH known, count
    UNWIND CASE WHEN count > 0 THEN [true] ELSE [] END AS wanted
    MATCH (n)
    WHERE any(x IN coalesce(n.source_ids, []) WHERE NOT x IN known)
    WITH n.id + ' cites ' + head([x IN n.source_ids WHERE NOT x IN known]) AS ex
    WHERE ex IS NOT NULL
    WITH ex
    LIMIT 1
    RETURN head(collect(ex)) AS example
  }
  RETURN 'unknown-source' AS kind, 'nodes' AS detail, count, example, null AS cited
  UNION ALL
  // One pass: series first, then buckets by type and newest year (few), from which the
  // reference year (the newest figure) and the stale and superseded counts and examples follow.
  // Ids have no spaces (prefix:slug, kg/models/ids.py), so within a bucket the smallest example
  // string is the one with the smallest `a.id + ' ' + b.id`: the full string is built per bucket.
  // The buckets are derived when the graph is written (kg/store/derived.py): read when they
  // match the graph (`graph_size`, filled in by the runner), else recomputed the same way.
  OPTIONAL MATCH (stamp:_Meta {id: 'derived:stamp'})
  WITH coalesce(stamp.nodes = $graph_size[0] AND stamp.relationships = $graph_size[1]
                AND 'figure-series' IN stamp.kinds, false) AS derived
  CALL {
    WITH derived
    UNWIND CASE WHEN derived THEN [1] ELSE [] END AS use
    MATCH (d:_Meta)
    WHERE d.derived = 'figure-series'
    RETURN d.type AS t, d.latest AS latest, d.series AS series, d.older AS older,
           d.first_pair AS first_pair, d.first_older_pair AS first_older_pair
    UNION ALL
    WITH derived
    UNWIND CASE WHEN derived THEN [] ELSE [1] END AS use
    MATCH (a)-[r:PRODUCES|HOLDS_RESERVES|EXPORTS_TO|IMPORT_RELIANCE]->(b)
    WHERE r.year IS NOT NULL
    WITH a, b, type(r) AS t, r.stage AS stage, r.hs_code AS hs, r.flow_basis AS basis,
         max(r.year) AS latest, count(r) AS n
    WITH t, latest, n, a.id + ' ' + b.id AS pair
    RETURN t, latest, count(*) AS series, sum(n - 1) AS older, min(pair) AS first_pair,
           min(CASE WHEN n > 1 THEN pair END) AS first_older_pair
  }
  WITH t, latest, series, older,
       split(first_pair, ' ')[0] + ' ' + t + ' ' + split(first_pair, ' ')[1] + ' newest '
         + toString(latest) AS ex,
       split(first_older_pair, ' ')[0] + ' ' + t + ' ' + split(first_older_pair, ' ')[1]
         + ' newest ' + toString(latest) AS older_ex
  WITH collect({t: t, latest: latest, series: series, older: older, ex: ex,
                older_ex: older_ex}) AS buckets, max(latest) AS newest
  WITH buckets, coalesce($as_of_year, newest) AS ref
  UNWIND buckets AS k
  WITH k.t AS t,
       sum(CASE WHEN k.latest < ref - $max_age THEN k.series ELSE 0 END) AS stale,
       min(CASE WHEN k.latest < ref - $max_age THEN k.ex END) AS stale_example,
       sum(k.older) AS superseded, min(k.older_ex) AS superseded_example
  UNWIND [{kind: 'stale-figure', count: stale, example: stale_example},
          {kind: 'superseded-figure', count: superseded, example: superseded_example}] AS row
  WITH t, row
  WHERE row.count > 0
  RETURN row.kind AS kind, t AS detail, toInteger(row.count) AS count, row.example AS example,
         null AS cited
  UNION ALL
  MATCH (s:Source)
  WHERE s.confidence = 'L'
  RETURN 'low-confidence' AS kind, 'Source' AS detail, count(s) AS count,
         head(collect(s.id)) AS example, null AS cited
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
  // Every relationship is read once, counted by its source list, its type and the flags checked
  // below. A check's example (its first relationship in scan order, as before) is looked up only
  // when the check counts something, and the look-up stops at the first match.
  // (the groups are derived when the graph is written, as above; `low` and `est` are false
  // there where they are null here, which every check below reads alike)
  OPTIONAL MATCH (stamp:_Meta {id: 'derived:stamp'})
  WITH coalesce(stamp.nodes = $graph_size[0] AND stamp.relationships = $graph_size[1]
                AND 'relationship-group' IN stamp.kinds, false) AS derived
  CALL {
    WITH derived
    UNWIND CASE WHEN derived THEN [1] ELSE [] END AS use
    MATCH (d:_Meta)
    WHERE d.derived = 'relationship-group'
    RETURN d.sids AS sids, d.type AS t, d.low AS low, d.est AS est,
           d.undated_share AS undated_share, d.n AS n
    UNION ALL
    WITH derived
    UNWIND CASE WHEN derived THEN [] ELSE [1] END AS use
    OPTIONAL MATCH ()-[r]->()
    RETURN r.source_ids AS sids, type(r) AS t, r.confidence = 'L' AS low, r.estimated = true AS est,
           r.share IS NOT NULL AND r.year IS NULL AS undated_share, count(r) AS n
  }
  WITH collect({sids: sids, t: t, low: low, est: t = 'PRODUCES' AND est,
                undated: (t = 'OWNS' OR t = 'STATE_OWNED_BY') AND undated_share, n: n}) AS groups
  CALL {
    OPTIONAL MATCH (s:Source)
    RETURN collect(s.id) AS known
  }
  WITH groups, known,
       reduce(acc = [], g IN groups | CASE WHEN g.low = true AND NOT g.t IN acc
                                           THEN acc + g.t ELSE acc END) AS low_types,
       reduce(acc = [], g IN groups | CASE WHEN g.undated = true AND NOT g.t IN acc
                                           THEN acc + g.t ELSE acc END) AS undated_types
  // low-confidence facts: one scan for every type at once, as before, only if there are any
  CALL {
    WITH low_types
    UNWIND CASE WHEN size(low_types) > 0 THEN [true] ELSE [] END AS wanted
    MATCH (a)-[r]->(b)
    WHERE r.confidence = 'L'
    WITH type(r) AS t, head(collect(a.id + ' ' + type(r) + ' ' + b.id)) AS ex
    RETURN collect({t: t, ex: ex}) AS low_examples
  }
  WITH groups, known, low_examples, low_types, undated_types,
       [{kind: 'relationship-without-source', detail: null, probe: 'unsourced',
         count: reduce(c = 0, g IN groups | c + CASE WHEN g.sids IS NULL OR size(g.sids) = 0
                                                     THEN g.n ELSE 0 END)},
        {kind: 'unknown-source', detail: 'relationships', probe: 'unknown',
         count: reduce(c = 0, g IN groups
                       | c + CASE WHEN any(x IN coalesce(g.sids, []) WHERE NOT x IN known)
                                  THEN g.n ELSE 0 END)}]
       + [e IN [{kind: 'estimated-figure', detail: 'PRODUCES', probe: 'estimated',
                 count: reduce(c = 0, g IN groups | c + CASE WHEN g.est = true THEN g.n ELSE 0 END)}]
          WHERE e.count > 0]
       + [t IN low_types | {kind: 'low-confidence', detail: t, probe: 'low',
           example: head([e IN low_examples WHERE e.t = t | e.ex]),
           count: reduce(c = 0, g IN groups | c + CASE WHEN g.low = true AND g.t = t
                                                       THEN g.n ELSE 0 END)}]
       + [t IN undated_types | {kind: 'undated-share', detail: t, probe: 'undated',
           count: reduce(c = 0, g IN groups | c + CASE WHEN g.undated = true AND g.t = t
                                                       THEN g.n ELSE 0 END)}] AS checks
  // uses of each source id: nodes (Sources aside) and relationships, each id of a list once per
  // list (the relationship counts come from the groups above)
  CALL {
    MATCH (n)
    WHERE NOT n:Source
    UNWIND coalesce(n.source_ids, []) AS sid
    WITH sid, count(*) AS k
    RETURN collect({sid: sid, k: k}) AS node_uses
  }
  CALL {
    WITH groups, node_uses
    UNWIND node_uses + groups AS use
    UNWIND CASE WHEN use.sid IS NOT NULL THEN [use.sid] ELSE coalesce(use.sids, []) END AS sid
    WITH sid, toInteger(sum(coalesce(use.k, use.n))) AS n
    RETURN collect({sid: sid, uses: n}) AS uses
  }
  CALL {
    WITH uses
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
    RETURN collect(row) AS licence_rows
  }
  UNWIND checks + licence_rows AS row
  CALL {
    WITH known, row
    UNWIND CASE WHEN row.count > 0 AND (row.probe = 'unsourced' OR row.probe = 'unknown')
                THEN [row] ELSE [] END AS c
    MATCH (a)-[r]->(b)
    WHERE (c.probe = 'unsourced' AND (r.source_ids IS NULL OR size(r.source_ids) = 0))
       OR (c.probe = 'unknown' AND any(x IN coalesce(r.source_ids, []) WHERE NOT x IN known))
    WITH CASE c.probe
           WHEN 'unknown' THEN a.id + ' ' + type(r) + ' ' + b.id + ' cites '
                               + head([x IN r.source_ids WHERE NOT x IN known])
           ELSE a.id + ' ' + type(r) + ' ' + b.id END AS ex
    WHERE ex IS NOT NULL
    RETURN ex
    LIMIT 1
    UNION ALL
    WITH known, row
    UNWIND CASE WHEN row.count > 0 AND row.probe = 'estimated' THEN [row] ELSE [] END AS c
    MATCH (a)-[r:PRODUCES]->(b)
    WHERE r.estimated = true AND a.id IS NOT NULL AND b.id IS NOT NULL AND r.stage IS NOT NULL
      AND r.year IS NOT NULL
    RETURN a.id + ' PRODUCES ' + b.id + ' ' + r.stage + ' ' + toString(r.year) AS ex
    LIMIT 1
    UNION ALL
    WITH known, row
    UNWIND CASE WHEN row.count > 0 AND row.probe = 'undated' AND row.detail = 'OWNS'
                THEN [row] ELSE [] END AS c
    MATCH (a)-[r:OWNS]->(b)
    WHERE r.share IS NOT NULL AND r.year IS NULL
    RETURN a.id + ' OWNS ' + b.id AS ex
    LIMIT 1
    UNION ALL
    WITH known, row
    UNWIND CASE WHEN row.count > 0 AND row.probe = 'undated' AND row.detail = 'STATE_OWNED_BY'
                THEN [row] ELSE [] END AS c
    MATCH (a)-[r:STATE_OWNED_BY]->(b)
    WHERE r.share IS NOT NULL AND r.year IS NULL
    RETURN a.id + ' STATE_OWNED_BY ' + b.id AS ex
    LIMIT 1
    UNION ALL
    WITH known, row
    RETURN null AS ex
  }
  WITH row, head(collect(ex)) AS found
  RETURN row.kind AS kind, row.detail AS detail, row.count AS count,
         CASE WHEN row.probe IS NULL OR row.probe = 'low' THEN row.example ELSE found END
           AS example, row.cited AS cited
}
RETURN kind, count, example, detail, cited
ORDER BY kind, detail
