"""Cohorts over an OMOP CDM v5.4 database: rrmm's clinical logic run for every myeloma patient of it.

The OMOP representation of a record (:mod:`rrmm.cohort.omop` for the table schemas,
:mod:`rrmm.cohort.vocabulary` for the concepts, :mod:`rrmm.cohort.writer` to write records as OMOP Parquet,
:mod:`rrmm.cohort.reader` to read one patient's rows back to a record) is described in
``docs/omop-conventions.md``.
"""
