# title: Page facts
# runs: page
# derives: For one page at a time, in the worker that converts it: the triples of that
#   page the corpus rules read (kinds of thing, member links, lists and their items, what
#   a page is about, breadcrumb trails, questions and answers, headlines, names,
#   descriptions, publishers), the links that hold a list, and `?x kg:mentioned true` for
#   every IRI the page names. These are the page's facts; they go into the page's graph of
#   the facts store, where the corpus rules read them as `GRAPH ?page { ... }`.
# why: The concept layer needs a small part of each page, and that part depends on the
#   page alone: derived in the workers, kept by the page's content hash, it is the only
#   thing the corpus pass reads, so a build never reads the page graphs back from the
#   store. A corpus rule of your own that reads a page property not listed here needs it
#   added to a copy of this file (`kg link --rules DIR`); a changed page rule derives every
#   page's facts again. Each query reads the page as converted, never another's facts.

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>
PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov:   <http://www.w3.org/ns/prov#>

# The page store holds the page's graph, its entry in the provenance graph (which names
# the page) and the settings.

# What the rules match in a page graph, by property.
CONSTRUCT { ?s ?p ?o }
WHERE {
  VALUES ?p {
    rdf:type schema:mainEntity schema:about schema:mainEntityOfPage
    schema:itemListElement schema:item schema:position schema:breadcrumb
    schema:acceptedAnswer schema:text schema:headline schema:name schema:description
    schema:publisher
  }
  GRAPH kgg:provenance { ?page a prov:Entity }
  GRAPH ?page { ?s ?p ?o }
}

# The member and member-of properties of the settings.
CONSTRUCT { ?s ?p ?o }
WHERE {
  { GRAPH kgg:link-scratch { kg:settings kg:memberProperty ?p } }
  UNION
  { GRAPH kgg:link-scratch { kg:settings kg:memberOfProperty ?p } }
  GRAPH kgg:provenance { ?page a prov:Entity }
  GRAPH ?page { ?s ?p ?o }
}

# Whatever holds a list, or a page's main thing (10-areas counts a list only where nothing
# else holds it).
CONSTRUCT { ?holder ?holds ?held }
WHERE {
  { GRAPH kgg:link-scratch { kg:settings kg:listType ?type } }
  UNION
  { GRAPH kgg:link-scratch { kg:settings kg:mainThingType ?type } }
  GRAPH kgg:provenance { ?page a prov:Entity }
  GRAPH ?page { ?held a ?type . ?holder ?holds ?held }
}

# Every IRI the page names (55-sources: the pages whose graph mentions a concept).
CONSTRUCT { ?iri kg:mentioned true }
WHERE {
  GRAPH kgg:provenance { ?page a prov:Entity }
  { GRAPH ?page { ?iri ?p ?o } } UNION { GRAPH ?page { ?s ?p ?iri } }
  FILTER(isIRI(?iri))
}
