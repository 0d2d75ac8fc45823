"""The OMOP CDM v5.4 tables rrmm reads and writes, as pyarrow schemas.

Column names, types and nullability follow the CDM v5.4 DDL (OHDSI/CommonDataModel,
``inst/ddl/5.4/postgresql/OMOPCDM_postgresql_5.4_ddl.sql``): ``integer`` is int32, ``NUMERIC`` float64,
``varchar``/``TEXT`` string, ``date`` date32, ``TIMESTAMP`` a timestamp in microseconds. Each table holds only
the columns rrmm writes or reads plus every NOT NULL column of the DDL, in the DDL's order; the other
(nullable) columns of the CDM are left out, which a Parquet reader treats as absent. ``varchar(n)`` limits are
not enforced by Parquet: the writer keeps within them where the record allows (``docs/omop-conventions.md``).
"""

from __future__ import annotations

import pyarrow as pa

_INT = pa.int32()
_NUM = pa.float64()
_STR = pa.string()
_DATE = pa.date32()
_TIMESTAMP = pa.timestamp("us")


def _schema(*fields: tuple[str, pa.DataType, bool]) -> pa.Schema:
    """Fields given as (name, type, NOT NULL)."""
    return pa.schema([pa.field(name, kind, nullable=not required) for name, kind, required in fields])


PERSON = _schema(
    ("person_id", _INT, True),
    ("gender_concept_id", _INT, True),
    ("year_of_birth", _INT, True),
    ("month_of_birth", _INT, False),
    ("day_of_birth", _INT, False),
    ("race_concept_id", _INT, True),
    ("ethnicity_concept_id", _INT, True),
    ("person_source_value", _STR, False),
    ("gender_source_value", _STR, False),
)

OBSERVATION_PERIOD = _schema(
    ("observation_period_id", _INT, True),
    ("person_id", _INT, True),
    ("observation_period_start_date", _DATE, True),
    ("observation_period_end_date", _DATE, True),
    ("period_type_concept_id", _INT, True),
)

CONDITION_OCCURRENCE = _schema(
    ("condition_occurrence_id", _INT, True),
    ("person_id", _INT, True),
    ("condition_concept_id", _INT, True),
    ("condition_start_date", _DATE, True),
    ("condition_start_datetime", _TIMESTAMP, False),
    ("condition_end_date", _DATE, False),
    ("condition_type_concept_id", _INT, True),
    ("condition_status_concept_id", _INT, False),
    ("condition_source_value", _STR, False),
    ("condition_source_concept_id", _INT, False),
    ("condition_status_source_value", _STR, False),
)

DRUG_EXPOSURE = _schema(
    ("drug_exposure_id", _INT, True),
    ("person_id", _INT, True),
    ("drug_concept_id", _INT, True),
    ("drug_exposure_start_date", _DATE, True),
    ("drug_exposure_end_date", _DATE, True),
    ("verbatim_end_date", _DATE, False),
    ("drug_type_concept_id", _INT, True),
    ("stop_reason", _STR, False),
    ("quantity", _NUM, False),
    ("drug_source_value", _STR, False),
    ("dose_unit_source_value", _STR, False),
)

PROCEDURE_OCCURRENCE = _schema(
    ("procedure_occurrence_id", _INT, True),
    ("person_id", _INT, True),
    ("procedure_concept_id", _INT, True),
    ("procedure_date", _DATE, True),
    ("procedure_type_concept_id", _INT, True),
    ("procedure_source_value", _STR, False),
    ("procedure_source_concept_id", _INT, False),
)

MEASUREMENT = _schema(
    ("measurement_id", _INT, True),
    ("person_id", _INT, True),
    ("measurement_concept_id", _INT, True),
    ("measurement_date", _DATE, True),
    ("measurement_type_concept_id", _INT, True),
    ("value_as_number", _NUM, False),
    ("value_as_concept_id", _INT, False),
    ("unit_concept_id", _INT, False),
    ("range_high", _NUM, False),
    ("measurement_source_value", _STR, False),
    ("unit_source_value", _STR, False),
    ("value_source_value", _STR, False),
)

OBSERVATION = _schema(
    ("observation_id", _INT, True),
    ("person_id", _INT, True),
    ("observation_concept_id", _INT, True),
    ("observation_date", _DATE, True),
    ("observation_type_concept_id", _INT, True),
    ("value_as_number", _NUM, False),
    ("value_as_string", _STR, False),
    ("value_as_concept_id", _INT, False),
    ("unit_concept_id", _INT, False),
    ("observation_source_value", _STR, False),
    ("unit_source_value", _STR, False),
    ("qualifier_source_value", _STR, False),
    ("value_source_value", _STR, False),
    ("observation_event_id", _INT, False),
    ("obs_event_field_concept_id", _INT, False),
)

EPISODE = _schema(
    ("episode_id", _INT, True),
    ("person_id", _INT, True),
    ("episode_concept_id", _INT, True),
    ("episode_start_date", _DATE, True),
    ("episode_end_date", _DATE, False),
    ("episode_number", _INT, False),
    ("episode_object_concept_id", _INT, True),
    ("episode_type_concept_id", _INT, True),
    ("episode_source_value", _STR, False),
    ("episode_source_concept_id", _INT, False),
)

EPISODE_EVENT = _schema(
    ("episode_id", _INT, True),
    ("event_id", _INT, True),
    ("episode_event_field_concept_id", _INT, True),
)

CONCEPT = _schema(
    ("concept_id", _INT, True),
    ("concept_name", _STR, True),
    ("domain_id", _STR, True),
    ("vocabulary_id", _STR, True),
    ("concept_class_id", _STR, True),
    ("standard_concept", _STR, False),
    ("concept_code", _STR, True),
    ("valid_start_date", _DATE, True),
    ("valid_end_date", _DATE, True),
    ("invalid_reason", _STR, False),
)

#: Every table rrmm writes, by its CDM name, in the order the writer fills them.
SCHEMAS: dict[str, pa.Schema] = {
    "person": PERSON,
    "observation_period": OBSERVATION_PERIOD,
    "condition_occurrence": CONDITION_OCCURRENCE,
    "drug_exposure": DRUG_EXPOSURE,
    "measurement": MEASUREMENT,
    "observation": OBSERVATION,
    "procedure_occurrence": PROCEDURE_OCCURRENCE,
    "episode": EPISODE,
    "episode_event": EPISODE_EVENT,
    "concept": CONCEPT,
}

#: The primary key of each table with one (``episode_event`` has none in the CDM).
PRIMARY_KEYS: dict[str, str] = {
    "person": "person_id",
    "observation_period": "observation_period_id",
    "condition_occurrence": "condition_occurrence_id",
    "drug_exposure": "drug_exposure_id",
    "measurement": "measurement_id",
    "observation": "observation_id",
    "procedure_occurrence": "procedure_occurrence_id",
    "episode": "episode_id",
    "concept": "concept_id",
}

#: Largest value of a CDM ``integer`` column (int32).
MAX_INTEGER = 2**31 - 1
