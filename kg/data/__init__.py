"""Package data: the vendored schema.org context and the example corpus."""
