"""Storage: engine factory, typed models, read-only queries and migrations."""
