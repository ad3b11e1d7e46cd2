"""Repository functions: plain SQL over a tenant-scoped connection."""
