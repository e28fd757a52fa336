"""Pure RFC 5322 helpers: headers, subjects, MIME parsing and classification (no database)."""
