"""The clinic service: REST API under /v1 (FastAPI), CDS Hooks, and the web app mounted beside them."""
