// Export controls in force at a date and what they reach
// Chokepoint stored query queries/export-control-impact.cypher (kg query export-control-impact); the :param lines set its defaults.
:param as_of => toString(date());
:param importer => 'USA';
:param include_inactive => false;

// title: Export controls in force at a date and what they reach
// description: Export controls (and any measure a country IMPOSES, whoever imposes it:
//   `imposed_by`) in force on `as_of` (an ISO date, YYYY-MM-DD, default today; dates are compared
//   as strings), the materials and products they restrict, the products that need those items
//   (REQUIRES, transitively up to 6 levels, no cycles), and the importer's trade in each. A measure
//   is in force when its effective date (else its announcement date) is on or before `as_of`, it is
//   not suspended on that date (suspended_from <= as_of <= suspended_until, both inclusive; an open
//   suspension has no end), it has not ended (`ended`, the day a measure lapsed or a later one
//   replaced it, is after as_of: `expired`) and its status is not `revoked` or `proposed` (a bill
//   never in force). A measure whose suspension ended before `as_of` is `lapsed-unverified`, not in
//   force, unless a source it cites is newer than the end (publication year, else the year
//   retrieved, after the end's year): the graph cannot say whether it was extended, lifted or
//   applies again; `validity_note` says so and `newest_source_year` gives the newest source. With
//   `as_of` null the status recorded in the graph is used. A measure restricting an HS code reaches
//   every material or product classified under that code or a subheading of it. A restriction whose
//   scope starts with `technology:` restricts the export of technology to make the item (a
//   technology catalogue), not the item: it gets its own row (`restricted_as` = technology) and
//   reaches no products downstream. Measures naming destination countries (TARGETS) are shown only
//   when they name the importer; `applies_to` says which. `status` is the status on the date:
//   in-force, suspended, lapsed-unverified, announced (not yet effective), expired, proposed or
//   revoked; set `include_inactive` to see the measures not in force too. Each restricted item gets
//   a row with `product` null (its own trade; for a restricted product, the product itself) and one
//   row per product needing it, with the shortest bill-of-materials `path` and its `depth`;
//   `restricted_as` says how the measure names the item (material, product, an HS code, or
//   technology) and `scope` the restriction's scope notes. `import_value_usd` is the importer's
//   imports of the row's good (the product, or the restricted item) at the latest year at or before
//   the as_of year, by its own report or mirror data (an exporter's report of its shipments, such
//   as US domestic exports, is not the importer's imports), `import_value_from_imposer` the part from the country imposing the measure.
//   Reading it: the value is what the importer buys of goods that need the restricted item, an
//   upper bound on what is at risk, not an estimate of loss. Limits: licence approvals, exemptions
//   and enforcement are invisible; goods without HS codes or trade show null values, and goods
//   sharing an HS code show the whole code's trade (see classification-gaps); firms' stocks are
//   unknown.
// param as_of: string = "today"
// param importer: string = "USA"
// param include_inactive: bool = false
// returns: control, material, product, status, instrument, imposed_by, effective, ended,
//   suspended_from, suspended_until, depth, path, import_value_usd, import_value_from_imposer,
//   trade_year, applies_to, restricted_as, scope, control_id, material_id, product_id,
//   newest_source_year, validity_note
// table: control, imposed_by, material, product, status, effective
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param as_of => toString(date());
// :param importer => 'USA';
// :param include_inactive => false;
OPTIONAL MATCH (imp:Country)
WHERE imp.id = $importer OR imp.id = 'country:' + $importer
// The importer's imports, read once (not per row: that scan made the query slow): per HS code,
// the flows of its latest year at or before the as_of year (the only year that can be the
// latest of a row).
// (Exporters' reports, flow_basis exports, are one exporter's shipments, not the importer's imports.)
OPTIONAL MATCH (j:Country)-[e:EXPORTS_TO]->(imp)
WHERE e.value_usd IS NOT NULL AND e.flow_basis <> 'exports'
  AND ($as_of IS NULL OR e.year <= toInteger(left($as_of, 4)))
WITH imp, e.hs_code AS h, e.year AS y,
     collect(CASE WHEN e IS NULL THEN null ELSE {j: j.id, v: e.value_usd,
       b: CASE e.flow_basis WHEN 'imports' THEN 1 WHEN 'mirror' THEN 2 ELSE 3 END} END) AS fs
WITH imp, h, collect(CASE WHEN y IS NULL THEN null ELSE {y: y, fs: fs} END) AS years
WITH imp, h, reduce(l = null, x IN years | CASE WHEN l IS NULL OR x.y > l.y THEN x ELSE l END) AS l
WITH imp, collect(CASE WHEN h IS NULL OR l IS NULL THEN null ELSE {h: h, y: l.y, fs: l.fs} END) AS trade
MATCH (ctl:ExportControl)
// The newest source the measure cites (publication year, else the year retrieved): does anything
// in the graph postdate the end of its suspension?
OPTIONAL MATCH (src:Source)
WHERE src.id IN coalesce(ctl.source_ids, [])
WITH imp, trade, ctl, max(coalesce(src.year, toInteger(left(src.retrieved, 4)))) AS last_source
WITH imp, trade, ctl, last_source, coalesce(ctl.effective, ctl.announced) AS eff
WITH imp, trade, ctl, last_source, eff, CASE
       WHEN $as_of IS NULL THEN coalesce(ctl.status, 'in-force')
       WHEN ctl.status = 'revoked' OR ctl.status = 'proposed' THEN ctl.status
       WHEN eff IS NULL OR eff > $as_of THEN 'announced'
       WHEN ctl.ended IS NOT NULL AND ctl.ended <= $as_of THEN 'expired'
       WHEN ctl.suspended_from IS NOT NULL AND ctl.suspended_from <= $as_of
            AND (ctl.suspended_until IS NULL OR $as_of <= ctl.suspended_until) THEN 'suspended'
       WHEN ctl.suspended_until IS NOT NULL AND ctl.suspended_until < $as_of
            AND (last_source IS NULL OR last_source <= toInteger(left(ctl.suspended_until, 4)))
         THEN 'lapsed-unverified'
       ELSE 'in-force' END AS status
WHERE status = 'in-force' OR $include_inactive
WITH ctl, last_source, eff, status, imp, trade, [(ctl)-[:TARGETS]->(tc:Country) | tc] AS targets
WHERE size(targets) = 0 OR imp IS NULL OR imp IN targets
OPTIONAL MATCH (imposer:Country)-[:IMPOSES]->(ctl)
WITH ctl, last_source, eff, status, imp, trade, targets, head(collect(imposer)) AS imposer
// Restricted items: materials and products named, or classified under a restricted HS code.
MATCH (ctl)-[rs:RESTRICTS]->(t)
OPTIONAL MATCH (m)-[:CLASSIFIED_AS]->(hc:HSCode)
WHERE t:HSCode AND hc.code STARTS WITH t.code AND (m:Material OR m:Product)
WITH ctl, last_source, eff, status, imp, trade, targets, imposer, coalesce(m, t) AS m,
     collect(DISTINCT CASE WHEN rs.scope STARTS WITH 'technology:' THEN 'technology'
                      WHEN t:HSCode THEN 'HS ' + t.code WHEN t:Product THEN 'product'
                      ELSE 'material' END) AS restricted_as,
     collect(DISTINCT rs.scope) AS scopes
WITH ctl, last_source, eff, status, imp, trade, targets, imposer, restricted_as, scopes, m,
     [{p: CASE WHEN m:Product AND restricted_as <> ['technology'] THEN m END, depth: 0,
       names: [m.name]}]
     + CASE WHEN restricted_as = ['technology'] THEN [] ELSE
         [path = (p:Product)-[:REQUIRES*1..6]->(m)
          WHERE all(n IN nodes(path) WHERE single(o IN nodes(path) WHERE o = n))
          | {p: p, depth: length(path), names: [n IN nodes(path) | n.name]}] END AS reach
UNWIND reach AS r
WITH ctl, last_source, eff, status, imp, trade, targets, imposer, restricted_as, scopes, m, r
ORDER BY r.depth, size(r.names)
WITH ctl, last_source, eff, status, imp, trade, targets, imposer, restricted_as, scopes, m, r.p AS p, head(collect(r)) AS r
// The importer's imports of the row's good: the codes under its HS codes, their latest year.
WITH ctl, last_source, eff, status, imp, trade, targets, imposer, restricted_as, scopes, m, p, r, coalesce(p, m) AS good
WITH ctl, last_source, eff, status, imp, trade, targets, imposer, restricted_as, scopes, m, p, r, good,
     [(good)-[:CLASSIFIED_AS]->(gh:HSCode) | gh.code] AS codes
WITH ctl, last_source, eff, status, targets, imposer, restricted_as, scopes, m, p, r,
     [g IN trade WHERE any(c IN codes WHERE g.h STARTS WITH c)] AS groups
WITH ctl, last_source, eff, status, targets, imposer, restricted_as, scopes, m, p, r, groups,
     reduce(y = 0, g IN groups | CASE WHEN g.y > y THEN g.y ELSE y END) AS ty
WITH ctl, last_source, eff, status, targets, imposer, restricted_as, scopes, m, p, r, ty,
     reduce(l = [], g IN groups | l + CASE WHEN g.y = ty THEN g.fs ELSE [] END) AS flows
WITH ctl, last_source, eff, status, targets, imposer, restricted_as, scopes, m, p, r, ty, flows,
     reduce(b = 9, f IN flows | CASE WHEN f.b < b THEN f.b ELSE b END) AS tb
WITH ctl, last_source, eff, status, targets, imposer, restricted_as, scopes, m, p, r, ty,
     [f IN flows WHERE f.b = tb] AS flows
RETURN ctl.name AS control, m.name AS material, p.name AS product, status,
       ctl.instrument AS instrument, imposer.name AS imposed_by, eff AS effective,
       ctl.ended AS ended,
       ctl.suspended_from AS suspended_from, ctl.suspended_until AS suspended_until,
       r.depth AS depth, r.names AS path,
       CASE WHEN size(flows) = 0 THEN null ELSE reduce(s = 0.0, f IN flows | s + f.v) END
         AS import_value_usd,
       CASE WHEN size(flows) = 0 THEN null
            ELSE reduce(s = 0.0, f IN [f IN flows WHERE f.j = imposer.id] | s + f.v) END
         AS import_value_from_imposer,
       CASE WHEN size(flows) = 0 THEN null ELSE ty END AS trade_year,
       CASE WHEN size(targets) = 0 THEN ['all destinations'] ELSE [c IN targets | c.name] END
         AS applies_to,
       restricted_as, scopes AS scope, ctl.id AS control_id, m.id AS material_id, p.id AS product_id,
       last_source AS newest_source_year,
       CASE WHEN status = 'lapsed-unverified'
              THEN 'suspension ended ' + ctl.suspended_until + '; no source in the graph after it'
                   + CASE WHEN last_source IS NULL THEN ''
                          ELSE ' (newest from ' + toString(last_source) + ')' END
                   + ': what applies now is unverified'
            WHEN restricted_as = ['technology']
              THEN 'restricts the export of technology to make it, not the good itself' END
         AS validity_note
ORDER BY effective, control, material, depth, product
