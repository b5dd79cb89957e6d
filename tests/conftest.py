"""Shared test settings: hypothesis budget, and float64 reproducibility."""

import os

from hypothesis import HealthCheck, settings

# Op tests run many small examples; deadlines would only flake on a loaded CI machine.
settings.register_profile(
    "default", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
