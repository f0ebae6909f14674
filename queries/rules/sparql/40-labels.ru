# title: Preferred labels
# derives: One skos:prefLabel per concept (facets already have theirs): the first of the
#   concept's headline on its own page, the headline of the thing whose page it is
#   (schema:mainEntityOfPage), its name on its own page, a headline on another page, a
#   name on another page, the name of a breadcrumb item pointing at it, the headline or
#   name of one of its numbered pages; ties go to the alphabetically first. HTML entities
#   are decoded ("Cookies &amp; Bars" -> "Cookies & Bars") and the settings' label
#   boilerplate is cut from it. A concept no page names (a list's member given by its URL
#   alone) takes the last segment of its IRI's path, made readable, with kg:labelFromIri
#   true. Each label also gets kg:key, the label in lower case,
#   which queries look up to find a concept by its label whatever the case (an index
#   lookup; comparing LCASE of every label is a scan).
# runs: corpus
# why: SKOS allows one preferred label per concept, and a definition's own page is the
#   authority on its title; an area's listing of it is a copy. Every concept has a label,
#   so that no list drops a concept for want of one.
# after: 35-facets

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT { ?concept skos:prefLabel ?label ; kg:key ?key }
WHERE {
  {
    SELECT ?concept (MIN(CONCAT(STR(?rank), STR(?text))) AS ?best)
    WHERE {
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      MINUS { GRAPH kgg:concepts { ?concept skos:prefLabel ?known } }
      GRAPH kgg:provenance { ?page a prov:Entity }
      {
        GRAPH ?page { ?concept schema:headline ?text } BIND(IF(?page = ?concept, 1, 4) AS ?rank)
      } UNION {
        # The headline of the thing whose page this is (mainEntityOfPage): a page's own name
        # is often its title tag, with the site's name after it ("Nonce - Coin Words").
        GRAPH ?page { ?thing schema:mainEntityOfPage ?concept ; schema:headline ?text }
        FILTER(?page = ?concept)
        BIND(2 AS ?rank)
      } UNION {
        GRAPH ?page { ?concept schema:name ?text } BIND(IF(?page = ?concept, 3, 5) AS ?rank)
      } UNION {
        GRAPH ?page { ?crumb schema:item ?concept ; schema:name ?text } BIND(6 AS ?rank)
      }
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:labelBoilerplate ?labelBoilerplate } }
  BIND(SUBSTR(?best, 2) AS ?given)
  # HTML entities pages leave in their text ("Cookies &amp; Bars"), the ones they write,
  # decoded (the page graph keeps the text as given); &amp; last, so "&amp;lt;" is "&lt;".
  BIND(IF(!CONTAINS(?given, "&"), ?given,
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(?given,
    "&(quot|#0*34|#[xX]0*22);", "\""),
    "&(apos|#0*39|#[xX]0*27);", "'"),
    "&(lt|#0*60|#[xX]0*3[cC]);", "<"),
    "&(gt|#0*62|#[xX]0*3[eE]);", ">"),
    "&(nbsp|#0*160|#[xX]0*[aA]0);", " "),
    "&(ndash|#0*8211|#[xX]0*2013);", "–"),
    "&(mdash|#0*8212|#[xX]0*2014);", "—"),
    "&(lsquo|#0*8216|#[xX]0*2018);", "‘"),
    "&(rsquo|#0*8217|#[xX]0*2019);", "’"),
    "&(ldquo|#0*8220|#[xX]0*201[cC]);", "“"),
    "&(rdquo|#0*8221|#[xX]0*201[dD]);", "”"),
    "&(hellip|#0*8230|#[xX]0*2026);", "…"),
    "&(amp|#0*38|#[xX]0*26);", "&")) AS ?raw)
  BIND(COALESCE(REPLACE(?raw, ?labelBoilerplate, ""), ?raw) AS ?label)
  FILTER(STRLEN(?label) > 0)
  BIND(LCASE(?label) AS ?key)
}

# A concept still without a label takes the headline, else the name, of its numbered pages
# (the settings' continuation pattern): an area whose own page is not in the corpus. (As a
# branch of the query above it made the query join every concept with every page: 10,000
# pages took minutes instead of 3 s.)
CONSTRUCT { ?concept skos:prefLabel ?label ; kg:key ?key }
WHERE {
  {
    SELECT ?concept (MIN(CONCAT(STR(?rank), STR(?text))) AS ?best)
    WHERE {
      GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern }
      GRAPH kgg:provenance { ?page a prov:Entity }
      FILTER(REGEX(STR(?page), ?continuationPattern))
      { GRAPH ?page { ?page schema:headline ?text } BIND(1 AS ?rank) }
      UNION
      { GRAPH ?page { ?page schema:name ?text } BIND(2 AS ?rank) }
      BIND(IRI(REPLACE(STR(?page), ?continuationPattern, "$1")) AS ?concept)
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      MINUS { GRAPH kgg:concepts { ?concept skos:prefLabel ?known } }
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:labelBoilerplate ?labelBoilerplate } }
  BIND(SUBSTR(?best, 2) AS ?given)
  # HTML entities pages leave in their text ("Cookies &amp; Bars"), the ones they write,
  # decoded (the page graph keeps the text as given); &amp; last, so "&amp;lt;" is "&lt;".
  BIND(IF(!CONTAINS(?given, "&"), ?given,
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(?given,
    "&(quot|#0*34|#[xX]0*22);", "\""),
    "&(apos|#0*39|#[xX]0*27);", "'"),
    "&(lt|#0*60|#[xX]0*3[cC]);", "<"),
    "&(gt|#0*62|#[xX]0*3[eE]);", ">"),
    "&(nbsp|#0*160|#[xX]0*[aA]0);", " "),
    "&(ndash|#0*8211|#[xX]0*2013);", "–"),
    "&(mdash|#0*8212|#[xX]0*2014);", "—"),
    "&(lsquo|#0*8216|#[xX]0*2018);", "‘"),
    "&(rsquo|#0*8217|#[xX]0*2019);", "’"),
    "&(ldquo|#0*8220|#[xX]0*201[cC]);", "“"),
    "&(rdquo|#0*8221|#[xX]0*201[dD]);", "”"),
    "&(hellip|#0*8230|#[xX]0*2026);", "…"),
    "&(amp|#0*38|#[xX]0*26);", "&")) AS ?raw)
  BIND(COALESCE(REPLACE(?raw, ?labelBoilerplate, ""), ?raw) AS ?label)
  FILTER(STRLEN(?label) > 0)
  BIND(LCASE(?label) AS ?key)
}

# Every concept has a label: one no page names (a recipe that another page's list links to
# by its URL alone) takes the last segment of its IRI's path, made readable
# ("https://site.example/lemon-bars/" -> "lemon bars"; the host when the path has none),
# marked kg:labelFromIri true so that it is not mistaken for a name a page gave.
CONSTRUCT { ?concept skos:prefLabel ?label ; kg:key ?key ; kg:labelFromIri true }
WHERE {
  GRAPH kgg:concepts { ?concept kg:kind ?kind }
  MINUS { GRAPH kgg:concepts { ?concept skos:prefLabel ?known } }
  BIND(STR(?concept) AS ?iri)
  BIND(REPLACE(REPLACE(?iri, "^[a-zA-Z][a-zA-Z0-9+.-]*:(//[^/?#]*)?", ""), "[?#].*$", "") AS ?path)
  BIND(IF(REGEX(?path, "[^/]"), REPLACE(?path, "^(.*/)?([^/]+)/*$", "$2"),
          REPLACE(?iri, "^[a-zA-Z][a-zA-Z0-9+.-]*:(//)?([^/?#]*).*$", "$2")) AS ?segment)
  BIND(REPLACE(REPLACE(REPLACE(?segment, "\\.(html?|php|aspx?|jsp)$", "", "i"), "[-_+]+", " "), "^ +| +$", "") AS ?label)
  FILTER(STRLEN(?label) > 0)
  BIND(LCASE(?label) AS ?key)
}
