// Diversification options outside China
// Chokepoint stored query queries/diversification.cypher (kg query diversification); the :param lines set its defaults.
:param material => null;
:param year => null;
:param exclude => 'CHN';
:param partner => 'USA';

// title: Diversification options outside China
// description: For a material (or every material and product with national production figures),
//   the producing countries other than `exclude` (default China) at each stage: their share of
//   world output (as in `concentration`: quantity over the world total, else the stated share;
//   latest year, or the latest at or before `year`), their reserves of the material (latest
//   figure; qualifiers such as NA kept), and whether `partner` (default the United States) is party
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
//   unit, qualifier, iso3, material_id
// table: material, stage, country, share, reserves, us_agreement
OPTIONAL MATCH (partner:Country)
WHERE partner.id = $partner OR partner.id = 'country:' + $partner
WITH partner,
     CASE WHEN partner IS NULL THEN [] ELSE [(partner)-[:PARTY_TO]->(pb:Agreement) | pb] END
       AS partners
MATCH (:Country)-[pr:PRODUCES {basis: 'output'}]->(m)
WHERE (m:Material OR m:Product)
  AND ($material IS NULL OR m.id = $material OR m.id = 'material:' + $material
       OR m.id = 'product:' + $material OR toLower(m.name) = toLower($material))
  AND ($year IS NULL OR pr.year <= $year)
WITH partner, partners, m, pr.stage AS stage, max(pr.year) AS yr
MATCH (c:Country)-[pr:PRODUCES {basis: 'output'}]->(m)
WHERE pr.stage = stage AND pr.year = yr
WITH partner, partners, m, stage, yr, max(pr.world_quantity) AS world, sum(pr.quantity) AS total,
     collect({c: c, pr: pr}) AS rows
WITH partner, partners, m, stage, yr,
     [r IN rows | {c: r.c, pr: r.pr, share: coalesce(
       toFloat(r.pr.quantity) / world, r.pr.share,
       CASE WHEN total > 0 THEN toFloat(r.pr.quantity) / total END)}] AS rows,
     [a IN partners WHERE a IN [(m)<-[:COVERS]-(ca:Agreement) | ca]] AS covering
WITH partner, partners, covering, m, stage, yr, rows,
     coalesce(head([r IN rows WHERE r.c.id = 'country:' + $exclude OR r.c.id = $exclude
                    | r.share]), 0.0) AS excluded_share
UNWIND [r IN rows WHERE r.c.id <> 'country:' + $exclude AND r.c.id <> $exclude] AS r
WITH partner, partners, covering, m, stage, yr, excluded_share, r.c AS c, r.pr AS pr,
     r.share AS share
WITH partner, partners, covering, m, stage, yr, excluded_share, c, pr, share,
     [(c)-[hr:HOLDS_RESERVES]->(m) WHERE $year IS NULL OR hr.year <= $year
      | {y: hr.year, q: hr.quantity, unit: hr.unit, qual: hr.qualifier}] AS reserves,
     CASE WHEN size(partners) = 0 THEN [] ELSE [(c)-[:PARTY_TO]->(ag:Agreement) | ag] END AS theirs
WITH m, stage, yr, excluded_share, c, pr, share, partner,
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
       substring(c.id, 8) AS iso3, m.id AS material_id
ORDER BY material, stage, coalesce(share, -1.0) DESC, country
