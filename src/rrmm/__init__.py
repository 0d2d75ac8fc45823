"""rrmm: clinical decision support for relapsed/refractory multiple myeloma."""

__version__ = "0.1.0"
