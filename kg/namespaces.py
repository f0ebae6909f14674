"""Namespaces kg reads and writes, and the prefixes bound in every export."""

from __future__ import annotations

from rdflib import Namespace

# schema.org's own JSON-LD context maps terms to http://schema.org/, and nearly
# all deployed JSON-LD uses that context, so kg stores schema.org terms under
# http:// and rewrites https://schema.org/ onto it. rdflib's SDO namespace is the
# https form and is deliberately not used here.
SCHEMA = Namespace("http://schema.org/")
SCHEMA_HTTPS = "https://schema.org/"

XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")

# Terms kg itself mints (provenance fields, its own graphs). A URN keeps them
# out of anyone's web namespace and makes clear that nothing resolves there.
KG = Namespace("urn:kg:vocab:")
PROVENANCE_GRAPH = "urn:kg:graph:provenance"
# The concept layer derived by the SPARQL rules in queries/ (see kg.link).
CONCEPTS_GRAPH = "urn:kg:graph:concepts"
# Counts of the pages and the concept layer, made by the last rule (95-statistics).
STATISTICS_GRAPH = "urn:kg:graph:statistics"

PREFIXES: dict[str, str] = {
    "schema": str(SCHEMA),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "xsd": str(XSD),
    "prov": str(PROV),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "kg": str(KG),
}
