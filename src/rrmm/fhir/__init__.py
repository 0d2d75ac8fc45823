"""FHIR R4 interoperability: a patient record from an EHR's bundle, and rrmm's results back as FHIR.

- :func:`rrmm.fhir.importer.import_bundle`: a Bundle (collection, searchset or transaction) to a record of
  schema version 1, with a warning for every entry that could not be mapped;
- :func:`rrmm.fhir.exporter.record_to_bundle`: a record to a collection Bundle (the round trip gives the same
  record back);
- :func:`rrmm.fhir.plan.plan_to_bundle`: a plan as a RequestGroup with its evidence and the disease state as
  Observations.

Codes are read through the shared code tables of :mod:`rrmm.terminology.codes`; record concepts with no
standard code travel under rrmm's own code system (:mod:`rrmm.fhir.local`).
"""
