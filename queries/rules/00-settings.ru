# title: Settings for the concept-layer rules
# derives: Nothing by itself: it writes the patterns the later rules read into the rules'
#   scratch graph, <urn:kg:graph:link-scratch>, which kg drops once every rule has run.
# why: What makes a page an area, a member a term rather than a definition, and which
#   boilerplate a site wraps around its titles and descriptions differ from site to site.
#   Every such choice lives here, so adapting kg to another glossary means editing this one
#   file (or passing your own copy with `kg link --rules DIR`), never the rules after it.
#   Patterns are SPARQL regular expressions; a backslash is doubled inside a string.
#   Before each later rule runs, kg writes the value of every setting that has exactly one
#   value in place of the variable of the same name (?facetPattern), so Oxigraph compiles
#   each pattern once instead of once a row. The rules also read the settings from the
#   scratch graph, so they mean the same when run by hand; give a pattern setting one
#   value (join alternatives with |). One use needs the substitution: SPARQL takes only a
#   number after LIMIT, so run by hand, rule 80 needs kg:maxRelatedPerConcept written in.

PREFIX schema: <http://schema.org/>
PREFIX kg:     <urn:kg:vocab:>
PREFIX kgg:    <urn:kg:graph:>

INSERT DATA { GRAPH kgg:link-scratch {
  kg:settings
    # A page is an area when its own node lists other pages through one of these properties
    # (schema:hasDefinedTerm: a glossary page whose own node is a DefinedTermSet).
    kg:memberProperty schema:hasPart , schema:hasDefinedTerm ;

    # A page is an area, too, when its main entity, or a thing that stands alone on it, is
    # a list of one of these types (an index page marked up as a list for search engines).
    # A breadcrumb trail is a schema:BreadcrumbList, which does not count.
    kg:listType schema:ItemList ;

    # ... unless the page has a main thing of its own beside the list (a recipe page with a
    # "more recipes" list, an article with "most read"): what its schema:mainEntity names,
    # what names it through schema:mainEntityOfPage, or a thing of one of these types that
    # nothing on the page holds. A list that is the page's schema:mainEntity still counts.
    kg:mainThingType schema:Recipe , schema:HowTo , schema:Article , schema:NewsArticle , schema:BlogPosting ,
      schema:TechArticle , schema:ScholarlyArticle , schema:Report , schema:Product , schema:Event ,
      schema:Course , schema:JobPosting , schema:Book , schema:Movie ;

    # A thing of one of these types is an area wherever a page describes it, whether or not
    # it is a page itself, with every thing it lists through a member property, fragments of
    # its own page included (a one-page glossary defines its terms as #fragments).
    kg:areaType schema:DefinedTermSet ;

    # A thing that names a thing through one of these properties is a member of it, which
    # makes that thing an area: a term page says which glossary it belongs to.
    kg:memberOfProperty schema:inDefinedTermSet ;

    # A member, or a definition page, is a "term" rather than a "definition" when its IRI
    # matches this pattern (here: a /term/ segment in the URL path).
    kg:termIriPattern "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*(/[^?#]*)?/term/" ;

    # A page that is not an area is a definition page when its own node is, or is about,
    # a thing of one of these types.
    kg:definitionType schema:DefinedTerm ;

    # ... or when its IRI matches this pattern, whatever its markup (an Article): a page of
    # its own under a /definition/, /term/ or /glossary/ segment.
    kg:definitionIriPattern "^[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*(/[^?#]*)?/(definition|term|glossary)/[^/?#]+/?$" ;

    # A page whose IRI matches this pattern continues the page that group 1 names: an area
    # listed over numbered pages ("/area/x/resource/2/", "/category/x/page/2/") is one area,
    # the IRI of its first page, with the members of all of them. Its own page need not be
    # in the corpus; the numbered pages then give its label and definition.
    kg:continuationPattern "^(.+/)(resource|page)/[0-9]+/?$" ;

    # Cut from a headline or name to make a label:
    # "Peer to Peer ⎊ Area ⎊ Greeks.live" -> "Peer to Peer"; and what a title tag puts
    # after a bar or a spaced dash (the site's name): "Nonce | Coin Words" -> "Nonce".
    kg:labelBoilerplate "\\s+⎊\\s.*$|\\s+[|–—]\\s+[^|–—]*$" ;

    # Cut from a description to make a definition (the raw description stays in the page
    # graph): a trailing "⎊ Definition", or a leading one-word tag such as "Meaning ⎊".
    kg:definitionBoilerplate "\\s*⎊\\s*Definition\\s*$|^\\s*[\\w-]+\\s+⎊\\s+" ;

    # An FAQ question names a facet of its page: group 1 of this case-insensitive pattern.
    # "What is the Risk of Peer to Peer?" -> facet "Risk". Other questions keep their text.
    kg:facetPattern "^\\s*what\\s+(?:is|are)\\s+the\\s+(.+?)\\s+(?:of|for|in)\\s+.+$" ;

    # Label containment (rule 70): true or false, and the kinds of concept it links.
    kg:labelContainment true ;
    kg:containmentKind "definition" , "term" ;

    # Related areas and definitions (rule 80). A definition or term listed by more areas
    # than this is too generic to relate them, like a stop word in a search engine: it is
    # left out of the overlap counting, and is not related to other definitions through
    # its areas (it stays narrower than each of them).
    kg:maxAreasPerMember 50 ;
    # An area listing more definitions and terms than this (an A-Z index of a whole
    # glossary) is too broad to relate them to each other: relating its members would rank
    # every pair of them. They stay narrower than it, and related through their other areas.
    kg:maxMembersPerArea 200 ;
    # Each area keeps the areas it shares most members with, at most this many; each
    # definition or term the ones it shares most areas with (ties: see rule 80). A pair is
    # related when either end keeps it, so the number of related pairs grows with the
    # number of concepts, not with its square.
    kg:maxRelatedPerConcept 10 .
} }
