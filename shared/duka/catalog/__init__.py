"""The catalogue: CSV import, indexing for search."""
