// title: Diversification options outside China
// description: For a material (or every material and product with national production figures),
//   the producing countries other than `exclude` (default China) at each stage: their share of
//   world output (by the latest-figure rule shared with concentration, see docs/queries.md:
//   latest year with a real figure, or the latest at or before `year`; output before capacity,
//   `measure` says which; an element without figures of its own takes its group's, `basis` =
//   group and `group` names it, reserves then being the group's), their reserves of the material
//   (latest figure; qualifiers such as NA kept), and whether `partner` (default the United States) is party
//   with them to an agreement that covers the material (`us_agreement`; null for the partner itself).
//   `agreements` names those agreements, `other_agreements` shared agreements that do not name the
//   material (general frameworks). `excluded_share` is the excluded country's share at the same
//   stage, for scale: the shares listed add up to at most 1 - excluded_share. Reading it: a producer
//   with a small share, large reserves and an agreement is a candidate for diversification; a stage
//   where the listed shares are all small has no ready alternative. Limits: capacity, cost,
//   ore grade, permitting and ownership (see chinese-controlled-abroad) are not shown; withheld
//   figures appear with share null; an agreement's coverage is only what the graph records.
// param material: string = null
// param year: int = null
// param exclude: string = "CHN"
// param partner: string = "USA"
// returns: material, stage, year, country, share, reserves, reserves_unit, reserves_year,
//   reserves_qualifier, us_agreement, agreements, other_agreements, excluded_share, quantity,
//   unit, qualifier, iso3, material_id, basis, group, measure
// table: material, stage, country, share, reserves, us_agreement, basis
// Neo4j Browser: set the parameters first - run each line below without its leading //, editing the values:
// :param material => null;
// :param year => null;
// :param exclude => 'CHN';
// :param partner => 'USA';
OPTIONAL MATCH (partner:Country)
WHERE partner.id = $partner OR partner.id = 'country:' + $partner
WITH partner,
     CASE WHEN partner IS NULL THEN [] ELSE [(partner)-[:PARTY_TO]->(pb:Agreement) | pb] END
       AS partners
MATCH (x)
WHERE (x:Material OR x:Product)
  AND ($material IS NULL OR x.id = $material OR x.id = 'material:' + $material
       OR x.id = 'product:' + $material OR toLower(x.name) = toLower($material))
// BEGIN fragment latest-figure(partner, partners) -- generated from queries/fragments/latest-figure.cypher.in
UNWIND CASE WHEN size(coalesce(x.member_of, [])) = 0 THEN [null] ELSE x.member_of END AS gid
OPTIONAL MATCH (grp:Material {id: gid})
WITH DISTINCT partner, partners, x, grp
CALL {
  WITH grp
  WITH grp
  WHERE grp IS NOT NULL
  MATCH (peer:Material)
  WHERE grp.id IN coalesce(peer.member_of, [])
  RETURN count(peer) AS members
}
WITH partner, partners, x, [{holder: x, rank: 0}]
     + collect(CASE WHEN grp IS NULL THEN null ELSE {holder: grp, rank: members} END) AS holders
UNWIND holders AS hd
WITH partner, partners, x, hd.holder AS holder, hd.rank AS rank
MATCH (c:Country)-[pr:PRODUCES]->(holder)
WITH partner, partners, x, holder, rank, pr.stage AS stage, pr.year AS yr,
     coalesce(pr.basis, 'output') = 'capacity' AS capacity,
     count(CASE WHEN pr.quantity IS NOT NULL OR pr.share IS NOT NULL THEN 1 END) AS real,
     max(pr.world_quantity) AS stated_world, sum(pr.quantity) AS reported_total,
     collect({c: c, pr: pr}) AS rows
ORDER BY rank, holder.id, capacity, yr DESC
WHERE real > 0 AND stage IS NOT NULL AND yr IS NOT NULL AND ($year IS NULL OR yr <= $year)
WITH partner, partners, x, stage,
     head(collect({holder: holder, yr: yr, capacity: capacity, stated_world: stated_world,
                   reported_total: reported_total, rows: rows})) AS pick
WITH partner, partners, x, stage, pick.holder AS holder, pick.yr AS yr,
     CASE WHEN pick.capacity THEN 'capacity' ELSE 'output' END AS measure,
     pick.stated_world AS stated_world, pick.reported_total AS reported_total, pick.rows AS rows
WITH partner, partners, x, stage, yr, measure, holder, stated_world, reported_total, rows,
     CASE WHEN stated_world IS NULL THEN null
          WHEN reported_total > stated_world THEN reported_total ELSE stated_world END AS world
WITH partner, partners, x, stage, yr, measure, holder, stated_world, reported_total, world,
     CASE WHEN holder = x THEN 'own' ELSE 'group' END AS basis,
     [r IN rows | {c: r.c, pr: r.pr, share: coalesce(
       toFloat(r.pr.quantity) / world, r.pr.share,
       CASE WHEN reported_total > 0 THEN toFloat(r.pr.quantity) / reported_total END)}] AS figures
WITH partner, partners, x, stage, yr, measure, holder, stated_world, reported_total, world, basis, figures,
     size([f IN figures WHERE f.share IS NOT NULL]) AS reporters
// END fragment latest-figure
WITH partner, partners, x AS m, stage, yr, measure, basis, holder,
     [f IN figures | {c: f.c, pr: f.pr, share: f.share}] AS rows,
     [a IN partners WHERE a IN [(x)<-[:COVERS]-(ca:Agreement) | ca]] AS covering
WITH partner, partners, covering, m, stage, yr, measure, basis, holder, rows,
     coalesce(head([r IN rows WHERE (r.c.id = 'country:' + $exclude OR r.c.id = $exclude)
                                    AND r.share IS NOT NULL | r.share]), 0.0) AS excluded_share
UNWIND [r IN rows WHERE r.c.id <> 'country:' + $exclude AND r.c.id <> $exclude] AS r
WITH partner, partners, covering, m, stage, yr, measure, basis, holder, excluded_share, r.c AS c,
     r.pr AS pr, r.share AS share
WITH partner, partners, covering, m, stage, yr, measure, basis, holder, excluded_share, c, pr,
     share,
     [(c)-[hr:HOLDS_RESERVES]->(rm) WHERE rm = holder AND ($year IS NULL OR hr.year <= $year)
      | {y: hr.year, q: hr.quantity, unit: hr.unit, qual: hr.qualifier}] AS reserves,
     CASE WHEN size(partners) = 0 THEN [] ELSE [(c)-[:PARTY_TO]->(ag:Agreement) | ag] END AS theirs
WITH m, stage, yr, measure, basis, holder, excluded_share, c, pr, share, partner,
     reduce(b = {y: 0}, h IN reserves | CASE WHEN h.y > b.y THEN h ELSE b END) AS res,
     [a IN theirs WHERE a IN covering] AS shared_covering,
     [a IN theirs WHERE a IN partners AND NOT a IN covering] AS shared_other
RETURN m.name AS material, stage, yr AS year, c.name AS country, share,
       res.q AS reserves, res.unit AS reserves_unit,
       CASE WHEN res.y > 0 THEN res.y END AS reserves_year, res.qual AS reserves_qualifier,
       CASE WHEN partner IS NULL OR c = partner THEN null ELSE size(shared_covering) > 0 END
         AS us_agreement,
       CASE WHEN c = partner THEN [] ELSE [a IN shared_covering | a.name] END AS agreements,
       CASE WHEN c = partner THEN [] ELSE [a IN shared_other | a.name] END AS other_agreements,
       excluded_share, pr.quantity AS quantity, pr.unit AS unit, pr.qualifier AS qualifier,
       substring(c.id, 8) AS iso3, m.id AS material_id, basis,
       CASE WHEN basis = 'group' THEN holder.name END AS group, measure
ORDER BY material, stage, coalesce(share, -1.0) DESC, country
