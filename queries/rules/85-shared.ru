# title: What related areas share
# derives: kg:shared on each kg:Overlap that rule 80 made: every definition or term both
#   of its areas list (among the members rule 80 counts, in the scratch graph).
# why: The count on an overlap says how much two areas share; the members say what. They
#   are looked up once the overlaps are chosen, from the overlaps and the two lists.
#   A rule of its own, because nothing after it reads them: the inverse links of rule 90
#   can be made at the same time.
# after: 80-related

PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>

# Each overlap's two lists, looked up. (Joining every pair of areas that share a member,
# all at once, held a table that grows with the corpus: a third of rule 80's memory, when
# this was part of it. Joining the overlaps and the two lists through hash tables was
# twice as quick at 10,000 pages, but a 100,000-page build with it peaked at 2.0 GB
# instead of 1.5 GB.)
CONSTRUCT { ?overlap kg:shared ?member }
WHERE {
  GRAPH kgg:concepts { ?overlap a kg:Overlap ; kg:between ?one , ?other }
  FILTER(STR(?one) < STR(?other))
  GRAPH kgg:link-scratch { ?one kg:lists ?member . ?other kg:lists ?member }
}
