"""Clinical trials: the ClinicalTrials.gov corpus, eligibility-criteria parsing and matching."""
