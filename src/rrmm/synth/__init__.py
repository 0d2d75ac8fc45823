"""Synthetic patient records (schema version 1) for demos, property tests and benchmarks.

``synthesize(n, seed)`` returns ``n`` JSON-ready records; the same seed always gives the same records.
The records are synthetic demo data: plausible-looking, built on rough numbers (:mod:`rrmm.synth.frequencies`,
:mod:`rrmm.synth.catalogue`) that are not clinical facts.
"""

from rrmm.synth.generator import iter_synthesize, synthesize, synthesize_one

__all__ = ["iter_synthesize", "synthesize", "synthesize_one"]
