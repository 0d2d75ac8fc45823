"""Human-readable renderings of a plan (terminal text now; HTML and PDF reports later)."""
