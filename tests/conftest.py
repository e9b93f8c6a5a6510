"""Hypothesis profiles: random examples on a developer's machine, fixed ones in CI.

With ``CI`` set, every hypothesis test draws the same examples on every run
(``derandomize``): a red CI is the code's doing, reproducible by running the suite with
``CI=true``, never a new draw's. Without it, each run draws new examples, which is how
the suite keeps finding what the fixed ones miss (a failing draw is then kept as an
explicit ``@example``).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")
