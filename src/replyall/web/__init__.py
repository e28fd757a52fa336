"""The web archive: pages, JSON API, feeds and exports (create_app builds it)."""
