# title: Definitions
# derives: One skos:definition per concept that has a schema:description: the one on
#   the concept's own page if there is one, else the alphabetically first elsewhere, else
#   the first of its numbered pages (continuation pattern), with its HTML tags and the
#   settings' definition boilerplate ("⎊ Definition", "Meaning ⎊") cut from it and its
#   HTML entities decoded ("&amp;" -> "&").
# runs: corpus
# why: The description is what a glossary says a term means, but sites decorate it. The
#   concept layer holds the clean text; the raw description stays in the page graph.
# after: 35-facets

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX prov:   <http://www.w3.org/ns/prov#>
PREFIX skos:   <http://www.w3.org/2004/02/skos/core#>

CONSTRUCT { ?concept skos:definition ?definition }
WHERE {
  {
    SELECT ?concept (MIN(CONCAT(STR(?rank), STR(?text))) AS ?best)
    WHERE {
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      GRAPH kgg:provenance { ?page a prov:Entity }
      GRAPH ?page { ?concept schema:description ?text }
      BIND(IF(?page = ?concept, 1, 2) AS ?rank)
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:definitionBoilerplate ?definitionBoilerplate } }
  # Tags become spaces and the spaces that leaves are closed up (some sites write HTML
  # into descriptions), then the boilerplate goes.
  BIND(REPLACE(REPLACE(REPLACE(SUBSTR(?best, 2), "</?[a-zA-Z][^<>]*>", " "), " {2,}", " "), "^ +| +$", "") AS ?stripped)
  # HTML entities pages leave in their text ("Cookies &amp; Bars"), the ones they write,
  # decoded (the page graph keeps the text as given); &amp; last, so "&amp;lt;" is "&lt;".
  BIND(IF(!CONTAINS(?stripped, "&"), ?stripped,
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(?stripped,
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
  BIND(COALESCE(REPLACE(?raw, ?definitionBoilerplate, ""), ?raw) AS ?definition)
  FILTER(STRLEN(?definition) > 0)
}

# A concept still without a definition takes the first description of its numbered pages
# (the settings' continuation pattern), as 40-labels does for labels.
CONSTRUCT { ?concept skos:definition ?definition }
WHERE {
  {
    SELECT ?concept (MIN(STR(?text)) AS ?first)
    WHERE {
      GRAPH kgg:link-scratch { kg:settings kg:continuationPattern ?continuationPattern }
      GRAPH kgg:provenance { ?page a prov:Entity }
      FILTER(REGEX(STR(?page), ?continuationPattern))
      GRAPH ?page { ?page schema:description ?text }
      BIND(IRI(REPLACE(STR(?page), ?continuationPattern, "$1")) AS ?concept)
      GRAPH kgg:concepts { ?concept kg:kind ?kind }
      MINUS { GRAPH kgg:concepts { ?concept skos:definition ?known } }
    }
    GROUP BY ?concept
  }
  OPTIONAL { GRAPH kgg:link-scratch { kg:settings kg:definitionBoilerplate ?definitionBoilerplate } }
  BIND(REPLACE(REPLACE(REPLACE(?first, "</?[a-zA-Z][^<>]*>", " "), " {2,}", " "), "^ +| +$", "") AS ?stripped)
  # HTML entities pages leave in their text ("Cookies &amp; Bars"), the ones they write,
  # decoded (the page graph keeps the text as given); &amp; last, so "&amp;lt;" is "&lt;".
  BIND(IF(!CONTAINS(?stripped, "&"), ?stripped,
    REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(?stripped,
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
  BIND(COALESCE(REPLACE(?raw, ?definitionBoilerplate, ""), ?raw) AS ?definition)
  FILTER(STRLEN(?definition) > 0)
}
