// title: Import measures: which inputs of a product they exclude, and how much of their supply
// description: For a product (or material) and an importing country (default USA), the import
//   measures that country imposes (ImportMeasure: tariffs, anti-dumping and countervailing duties,
//   tax-credit eligibility rules such as the foreign-entity-of-concern rules, procurement bans) on
//   the product itself or on any of its inputs (REQUIRES, transitively up to 6 levels, no cycles;
//   the shortest bill-of-materials `path` per input), and the share of each input's world supply
//   that the measure excludes, so a battery maker sees which inputs would fail a rule. A measure is
//   in force on `as_of` (ISO date, compared as strings) when its effective date is on or before it
//   (a measure without an effective date is `announced`), it has not ended (`ended` after as_of),
//   it is not suspended on that date (suspended_from <= as_of <= suspended_until) and its status is
//   not revoked or proposed; with `as_of` null the recorded status is used; `include_inactive`
//   shows the rest with their status. The supply a measure excludes is picked by its `applies_by`:
//   `origin` measures (tariffs, DFARS melted-or-produced rules) exclude the output of the countries
//   the measure targets (TARGETS Country), at the stage the product takes the input from
//   (REQUIRES.stage, else the most processed stage that has a figure); `entity` measures (FEOC
//   and prohibited-foreign-entity rules, named-firm bans) exclude, at every stage that has a figure
//   for the input (its own or, for an element, its group's; one row per stage: a mineral fails if
//   it is mined or processed by a covered entity),
//   the targeted countries' output plus the output of assets outside them that their firms own: an
//   asset's share of world output (its quantity over the world total of the country figures of the
//   same stage and year) times the targeted interest in it, the sum over OWNS chains (up to 5 links,
//   latest stake of each owner-asset pair) from a firm headquartered in a targeted country, owned by
//   its state (times the state share) or named by the measure (TARGETS Firm), down to the asset,
//   each chain the product of its shares. `origin_share` is the targeted countries' share of world
//   output by the latest-figure rule every query shares (docs/queries.md: latest year with a real
//   figure at or before the as_of year, output before capacity, an element without figures takes
//   its group's; the stages an input has are those with such a figure); `owned_abroad_share` and
//   `owned_abroad_share_max` are the ownership part with unknown stakes (and unknown state shares)
//   counted as 0 and as 1, `unknown_stakes` how many chains carry an unknown share;
//   `excluded_share` = origin_share + owned_abroad_share and `excluded_share_max` =
//   origin_share + owned_abroad_share_max, both capped at 1. Reading it: an excluded share near 1
//   means nearly all the world's supply of that input fails the rule; a share of 0 with a null
//   `year` means the graph has no supply figures for the input at that stage, not that nothing is
//   excluded. Limits: supply shares are world shares, not the importer's own sourcing; licences,
//   exemptions, de minimis thresholds, tracing and the rule's exact item lists are invisible (a
//   RESTRICTS scope gives the wording); an asset's output outside the graph's country figures for
//   the same year is not counted; control through boards, debt, licensing or offtake is unseen.
// param product: string = "li-ion-battery"
// param importer: string = "USA"
// param as_of: string = null
// param include_inactive: bool = false
// returns: product, input, measure, kind, status, stage, excluded_share, excluded_share_max,
//   origin_share, owned_abroad_share, owned_abroad_share_max, unknown_stakes, year, applies_by,
//   targets, depth, path, instrument, effective, ended, scope, rate, measure_id, input_id
// table: product, input, measure, status, stage, excluded_share, excluded_share_max
// Superseded stakes: every OWNS fact but the latest of its owner-asset pair.
// The product first: the whole-graph look-ups below carry it, so a product not in the graph costs
// nothing.
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param product => 'li-ion-battery';
// :param importer => 'USA';
// :param as_of => null;
// :param include_inactive => false;
MATCH (p)
WHERE (p:Product OR p:Material)
  AND (p.id = $product OR p.id = 'product:' + $product OR p.id = 'material:' + $product
       OR toLower(p.name) = toLower($product))
OPTIONAL MATCH (sf:Firm)-[st:OWNS]->(sa)
WITH p, sf, sa, collect(st) AS stakes, max(coalesce(st.year, 0)) AS latest
WITH p, collect([s IN stakes WHERE coalesce(s.year, 0) < latest]) AS older
WITH p, reduce(acc = [], g IN older | acc + g) AS superseded,
     CASE WHEN $as_of IS NULL THEN null ELSE toInteger(left($as_of, 4)) END AS as_of_year
// Firms' headquarters and state owners, to find the firms a measure's targets control.
OPTIONAL MATCH (hf:Firm)-[:HEADQUARTERED_IN]->(hq:Country)
WITH p, superseded, as_of_year, collect({f: hf.id, c: hq.id}) AS hqs
OPTIONAL MATCH (gf:Firm)-[so:STATE_OWNED_BY]->(sc:Country)
WITH p, superseded, as_of_year, hqs, collect({f: gf.id, c: sc.id, s: so.share}) AS states
// The product itself and every input, with the shortest bill-of-materials path to it.
WITH superseded, as_of_year, hqs, states, p,
     [{i: p, depth: 0, names: [p.name], stage: null}]
     + [path = (p)-[:REQUIRES*1..6]->(x)
        WHERE all(n IN nodes(path) WHERE single(o IN nodes(path) WHERE o = n))
        | {i: x, depth: length(path), names: [n IN nodes(path) | n.name],
           stage: last(relationships(path)).stage}] AS reach
UNWIND reach AS r
WITH superseded, as_of_year, hqs, states, p, r
ORDER BY r.depth, size(r.names)
WITH superseded, as_of_year, hqs, states, p, r.i AS i, head(collect(r)) AS r
WITH superseded, as_of_year, hqs, states, p, collect({i: i, r: r}) AS inputs
// World output of the product and each of its inputs at every stage, by the latest-figure rule
// every query shares (docs/queries.md, "The latest figure"; at or before the as_of year), read once.
CALL {
  WITH as_of_year, inputs
  UNWIND inputs AS input
  WITH DISTINCT as_of_year, input.i AS x
  // BEGIN fragment latest-figure(as_of_year; $year = as_of_year) -- generated from queries/fragments/latest-figure.cypher.in
  UNWIND CASE WHEN size(coalesce(x.member_of, [])) = 0 THEN [null] ELSE x.member_of END AS gid
  OPTIONAL MATCH (grp:Material {id: gid})
  WITH DISTINCT as_of_year, x, grp
  CALL {
    WITH grp
    WITH grp
    WHERE grp IS NOT NULL
    MATCH (peer:Material)
    WHERE grp.id IN coalesce(peer.member_of, [])
    RETURN count(peer) AS members
  }
  WITH as_of_year, x, [{holder: x, rank: 0}]
       + collect(CASE WHEN grp IS NULL THEN null ELSE {holder: grp, rank: members} END) AS holders
  UNWIND holders AS hd
  WITH as_of_year, x, hd.holder AS holder, hd.rank AS rank
  MATCH (c:Country)-[pr:PRODUCES]->(holder)
  WITH as_of_year, x, holder, rank, pr.stage AS stage, pr.year AS yr,
       coalesce(pr.basis, 'output') = 'capacity' AS capacity,
       count(CASE WHEN pr.quantity IS NOT NULL OR pr.share IS NOT NULL THEN 1 END) AS real,
       max(pr.world_quantity) AS stated_world, sum(pr.quantity) AS reported_total,
       collect({c: c, pr: pr}) AS rows
  ORDER BY rank, holder.id, capacity, yr DESC
  WHERE real > 0 AND stage IS NOT NULL AND yr IS NOT NULL AND (as_of_year IS NULL OR yr <= as_of_year)
  WITH as_of_year, x, stage,
       head(collect({holder: holder, yr: yr, capacity: capacity, stated_world: stated_world,
                     reported_total: reported_total, rows: rows})) AS pick
  WITH as_of_year, x, stage, pick.holder AS holder, pick.yr AS yr,
       CASE WHEN pick.capacity THEN 'capacity' ELSE 'output' END AS measure,
       pick.stated_world AS stated_world, pick.reported_total AS reported_total, pick.rows AS rows
  WITH as_of_year, x, stage, yr, measure, holder, stated_world, reported_total, rows,
       CASE WHEN stated_world IS NULL THEN null
            WHEN reported_total > stated_world THEN reported_total ELSE stated_world END AS world
  WITH as_of_year, x, stage, yr, measure, holder, stated_world, reported_total, world,
       CASE WHEN holder = x THEN 'own' ELSE 'group' END AS basis,
       [r IN rows | {c: r.c, pr: r.pr, share: coalesce(
         toFloat(r.pr.quantity) / world, r.pr.share,
         CASE WHEN reported_total > 0 THEN toFloat(r.pr.quantity) / reported_total END)}] AS figures
  WITH as_of_year, x, stage, yr, measure, holder, stated_world, reported_total, world, basis, figures,
       size([f IN figures WHERE f.share IS NOT NULL]) AS reporters
  // END fragment latest-figure
  RETURN collect({x: x.id, stage: stage, yr: yr,
                  figures: [f IN figures | {k: f.c.id, share: f.share}]}) AS supply
}
UNWIND inputs AS ir
WITH superseded, as_of_year, hqs, states, supply, p, ir.i AS i, ir.r AS r
MATCH (imp:Country)-[:IMPOSES]->(m:ImportMeasure)-[rs:RESTRICTS]->(i)
WHERE imp.id = $importer OR imp.id = 'country:' + $importer
WITH superseded, as_of_year, hqs, states, supply, p, i, r, m, rs, CASE
       WHEN $as_of IS NULL THEN coalesce(m.status, 'in-force')
       WHEN m.status = 'revoked' OR m.status = 'proposed' THEN m.status
       WHEN m.effective IS NULL OR m.effective > $as_of THEN 'announced'
       WHEN m.ended IS NOT NULL AND m.ended <= $as_of THEN 'expired'
       WHEN m.suspended_from IS NOT NULL AND m.suspended_from <= $as_of
            AND (m.suspended_until IS NULL OR $as_of <= m.suspended_until) THEN 'suspended'
       ELSE 'in-force' END AS status
WHERE status = 'in-force' OR $include_inactive
WITH superseded, as_of_year, hqs, states, supply, p, i, r, m, rs, status,
     coalesce(m.applies_by, 'origin') AS by,
     [(m)-[:TARGETS]->(tc:Country) | tc.id] AS tcs, [(m)-[:TARGETS]->(tf:Firm) | tf.id] AS tfs,
     [s IN supply WHERE s.x = i.id] AS xsupply
// Root firms: headquartered in a targeted country or named by the measure (factor 1), or owned
// by a targeted state (factor = the state share).
WITH superseded, as_of_year, p, i, r, m, rs, status, by, tcs, tfs, states, xsupply,
     [h IN hqs WHERE h.c IN tcs | h.f] + tfs AS hq_ids,
     [s IN ['mining', 'separation', 'refining', 'manufacturing']
      WHERE s IN [x IN xsupply | x.stage]] AS avail
WITH superseded, as_of_year, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, avail, xsupply,
     [g IN states WHERE g.c IN tcs AND NOT g.f IN hq_ids] AS state_roots
WITH superseded, as_of_year, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, avail, xsupply,
     state_roots, hq_ids + [g IN state_roots | g.f] AS root_ids
WITH superseded, as_of_year, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids,
     xsupply, CASE WHEN by = 'entity' THEN avail ELSE [coalesce(r.stage, last(avail))] END AS stages
UNWIND CASE WHEN size(stages) = 0 THEN [null] ELSE stages END AS stage
// The targeted countries' share of world output at that stage: the shared rule's figures.
WITH superseded, as_of_year, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids,
     stage, head([x IN xsupply WHERE x.stage = stage]) AS fig
WITH superseded, as_of_year, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids,
     stage, coalesce(fig.yr, 0) AS yr,
     reduce(t = 0.0, f IN [f IN coalesce(fig.figures, []) WHERE f.k IN tcs]
            | t + coalesce(f.share, 0.0)) AS origin
// Entity rules: output of assets outside the targeted countries that their firms own.
OPTIONAL MATCH (a)-[pa:PRODUCES]->(i)
WHERE by = 'entity' AND (a:Facility OR a:Firm) AND pa.stage = stage
  AND (as_of_year IS NULL OR pa.year <= as_of_year)
WITH superseded, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids, stage, yr,
     origin, a, pa,
     any(k IN [(a)-[:LOCATED_IN]->(lc:Country) | lc.id]
              + [(a)-[:HEADQUARTERED_IN]->(hc:Country) | hc.id] WHERE k IN tcs) AS inside
WITH superseded, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids, stage, yr,
     origin, CASE WHEN inside THEN null ELSE a END AS a,
     max(CASE WHEN inside THEN null ELSE pa.year END) AS ay
OPTIONAL MATCH (a)-[pa:PRODUCES]->(i)
WHERE pa.stage = stage AND pa.year = ay
WITH superseded, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids, stage, yr,
     origin, a, pa,
     [(:Country)-[pc:PRODUCES]->(i) WHERE pc.stage = stage AND pc.year = ay
      | {q: pc.quantity, w: pc.world_quantity}] AS national
WITH superseded, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids, stage, yr,
     origin, a, pa,
     reduce(w = 0.0, f IN national | CASE WHEN f.w > w THEN f.w ELSE w END) AS aworld,
     reduce(t = 0.0, f IN national | t + coalesce(f.q, 0.0)) AS antotal
WITH superseded, p, i, r, m, rs, status, by, tcs, tfs, hq_ids, state_roots, root_ids, stage, yr,
     origin, a,
     CASE WHEN pa IS NULL OR pa.quantity IS NULL THEN null
          WHEN aworld > 0 THEN toFloat(pa.quantity) / aworld
          WHEN antotal > 0 THEN toFloat(pa.quantity) / antotal END AS ashare
OPTIONAL MATCH chain = (o:Firm)-[:OWNS*0..5]->(a)
WHERE ashare IS NOT NULL AND o.id IN root_ids
  AND none(n IN nodes(chain)[1..] WHERE n.id IN root_ids)
  AND all(n IN nodes(chain) WHERE single(x IN nodes(chain) WHERE x = n))
  AND none(rl IN relationships(chain) WHERE rl IN superseded)
WITH p, i, r, m, rs, status, by, tcs, tfs, stage, yr, origin, a, ashare, chain,
     CASE WHEN chain IS NULL OR o.id IN hq_ids THEN []
          ELSE [head([g IN state_roots WHERE g.f = o.id | g.s])] END
     + CASE WHEN chain IS NULL THEN [] ELSE [rl IN relationships(chain) | rl.share] END AS shares
WITH p, i, r, m, rs, status, by, tcs, tfs, stage, yr, origin, a, ashare,
     sum(CASE WHEN chain IS NULL THEN 0.0
              ELSE reduce(t = 1.0, s IN shares | t * coalesce(s, 0.0)) END) AS low,
     sum(CASE WHEN chain IS NULL THEN 0.0
              ELSE reduce(t = 1.0, s IN shares | t * coalesce(s, 1.0)) END) AS high,
     sum(CASE WHEN chain IS NOT NULL AND any(s IN shares WHERE s IS NULL) THEN 1 ELSE 0 END)
       AS unknown
WITH p, i, r, m, rs, status, by, tcs, tfs, stage, yr, origin,
     sum(CASE WHEN ashare IS NULL THEN 0.0
              ELSE ashare * CASE WHEN low > 1.0 THEN 1.0 ELSE low END END) AS owned_low,
     sum(CASE WHEN ashare IS NULL THEN 0.0
              ELSE ashare * CASE WHEN high > 1.0 THEN 1.0 ELSE high END END) AS owned_high,
     sum(unknown) AS unknown_stakes
RETURN p.name AS product, i.name AS input, m.name AS measure, m.kind AS kind, status, stage,
       CASE WHEN origin + owned_low > 1.0 THEN 1.0 ELSE origin + owned_low END AS excluded_share,
       CASE WHEN origin + owned_high > 1.0 THEN 1.0 ELSE origin + owned_high END
         AS excluded_share_max,
       origin AS origin_share, owned_low AS owned_abroad_share,
       owned_high AS owned_abroad_share_max, unknown_stakes,
       CASE WHEN yr = 0 THEN null ELSE yr END AS year, by AS applies_by, tcs + tfs AS targets,
       r.depth AS depth, r.names AS path, m.instrument AS instrument, m.effective AS effective,
       m.ended AS ended, rs.scope AS scope, m.rate AS rate, m.id AS measure_id, i.id AS input_id
ORDER BY depth, input, measure, stage
