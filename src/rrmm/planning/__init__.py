"""The planner: from the disease state to ranked, explained options."""

from rrmm.planning.plan import Plan, build_plan

__all__ = ["Plan", "build_plan"]
