"""The disease state, from the record: pure functions, each citing the definition it implements."""
