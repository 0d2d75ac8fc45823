"""The rough numbers that shape the synthetic records.

Every figure in this module is a rough, round number picked so that demo records *look* plausible. None
of them is a clinical fact, an estimate from a study or a recommendation: do not cite them, and do not
use the synthetic records to learn anything about myeloma. They are named here so that a reader can see
(and change) what the generator assumes.
"""

from __future__ import annotations

import datetime as dt

# Calendar of the synthetic cohort: diagnoses between these dates, nothing recorded after the cutoff.
DIAGNOSIS_FIRST = dt.date(2012, 1, 1)
DIAGNOSIS_LAST = dt.date(2024, 12, 31)
DATA_CUTOFF = dt.date(2026, 10, 31)

# Age at diagnosis (years): a clipped normal curve. Rough, for demo only.
AGE_MIN, AGE_MAX = 40, 88
AGE_MEAN, AGE_SD = 67.0, 10.0
P_FEMALE = 0.44
# Share of records that give `age` (at as_of) instead of `birth_date`.
P_AGE_INSTEAD_OF_BIRTH_DATE = 0.15
P_WEIGHT_HEIGHT = 0.9

# Isotype at diagnosis: (heavy chain, share). "light-chain" is heavy chain "none" with a kappa or lambda
# light chain; "non-secretory" is heavy and light chain "none". Rough, for demo only.
ISOTYPES: tuple[tuple[str, float], ...] = (
    ("IgG", 0.53),
    ("IgA", 0.21),
    ("light-chain", 0.18),
    ("IgD", 0.02),
    ("IgM", 0.005),
    ("non-secretory", 0.01),
)
P_KAPPA = 0.63  # light chain kappa (else lambda); IgD disease is mostly lambda below
P_KAPPA_IGD = 0.2

# Diagnosis flags: share of records that state each flag at all, and share true when stated.
P_DIAGNOSIS_FLAGS_STATED = 0.6
P_EXTRAMEDULLARY = 0.06
P_PLASMA_CELL_LEUKEMIA = 0.01
P_AL_AMYLOIDOSIS = 0.03

# Baseline laboratory picture. Rough, for demo only.
P_RENAL_IMPAIRMENT = 0.15
P_RENAL_IMPAIRMENT_LIGHT_CHAIN = 0.3
P_HYPERCALCEMIA = 0.13
P_LDH_ELEVATED = 0.12
P_URINE_M_PROTEIN = 0.3
P_URINE_M_PROTEIN_LIGHT_CHAIN = 0.7
P_SERUM_M_ZERO_REPORTED = 0.5  # light-chain disease: a serum M-protein of 0 is charted (else absent)
P_SI_UNITS_US = 0.05  # per test, US laboratories
P_SI_UNITS_ELSEWHERE = 0.7  # per test, elsewhere

# FISH at diagnosis. IgH translocations are drawn as mutually exclusive. Rough, for demo only.
P_FISH_TESTED = 0.85
IGH_TRANSLOCATIONS: tuple[tuple[str, float], ...] = (
    ("t(4;14)", 0.12),
    ("t(14;16)", 0.03),
    ("t(14;20)", 0.01),
    ("t(11;14)", 0.17),
)
P_DEL17P = 0.10
P_GAIN1Q = 0.35
P_AMP1Q_GIVEN_GAIN1Q = 0.3
P_DEL1P = 0.10
P_HYPERDIPLOIDY = 0.5
P_PANEL_HAS_T14_20 = 0.5
P_PANEL_HAS_1P = 0.7
P_PANEL_HAS_HYPERDIPLOIDY = 0.3
P_FISH_AT_RELAPSE = 0.1
P_ACQUIRED_DEL17P = 0.15

# Transplant eligibility by age at diagnosis: (upper age bound, share eligible). Rough, for demo only.
TRANSPLANT_ELIGIBLE_BY_AGE: tuple[tuple[int, float], ...] = ((65, 0.85), (70, 0.5), (75, 0.08), (200, 0.0))
P_DECLINES_TRANSPLANT = 0.05
P_TANDEM_TRANSPLANT_HIGH_RISK = 0.1
P_CONSOLIDATION = 0.25
P_MAINTENANCE_STOPPED_AFTER_YEARS = 0.12

# Survival / follow-up: months from diagnosis to the end of follow-up (death or loss), log-normal.
FOLLOW_UP_MEDIAN_MONTHS = 96.0
FOLLOW_UP_SIGMA = 0.75
HIGH_RISK_SURVIVAL_FACTOR = 0.6
OLD_AGE_SURVIVAL_FACTOR = 0.75

# Course of disease on therapy. Rough, for demo only.
HIGH_RISK_PFS_FACTOR = 0.6
GAIN1Q_PFS_FACTOR = 0.8
PFS_SIGMA = 0.55
LATER_LINE_PFS_FACTOR = 0.9  # per line beyond the second
MAX_LINES = 8
P_NO_FURTHER_THERAPY_BASE = 0.05  # after a progression: no next line (palliative care)
P_NO_FURTHER_THERAPY_PER_LINE = 0.06
P_LINE_STOPPED_FOR_TOXICITY = 0.08
P_DRUG_STOPPED_FOR_TOXICITY = 0.12
P_TREATMENT_HOLIDAY = 0.03
P_DEX_STOPPED_EARLY = 0.25
P_SALVAGE_SETTING_STATED = 0.3
P_DOSE_STATED = 0.3
P_PROGRESSION_EVENT = 0.6
P_RESPONSE_EVENT = 0.4
P_BONE_LESION_AT_PROGRESSION = 0.1
P_IFE_AT_CR = 0.6
P_MRD_AT_CR = 0.3
P_NO_BRIDGING = 0.2

# Charting habits. Rough, for demo only.
P_BONE_AGENT = 0.3
P_COMORBIDITIES = 0.35
P_LOCATION = 0.4
P_PREFERENCES = 0.05
P_PERFORMANCE_STATUS_AT_LINE = 0.6
P_BLOOD_COUNTS = 0.25
P_AE_SCALE = 0.8  # multiplies every adverse-event probability of the catalogue
