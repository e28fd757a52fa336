"""Threading: pure rules (rules.py) and graph operations on the database (links.py)."""
