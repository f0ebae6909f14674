"""kg's query library: report queries (*.rq) and the rules that derive the concept layer (rules/*.ru)."""
