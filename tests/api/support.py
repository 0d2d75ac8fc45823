"""Constants shared by the service tests (imported as ``api.support``)."""

from __future__ import annotations

from pathlib import Path

PASSWORD = "correct horse battery"
EXAMPLES = Path(__file__).parents[2] / "examples"
