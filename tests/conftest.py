"""Settings for the whole suite.

Hypothesis explores new examples on every run on a developer's machine, which
is how property tests find bugs; in CI (``CI`` set, as ``.ci/run`` is run) it
uses the same derandomized examples every time, so that a red CI always names
a change of the code, never a lucky draw. A counterexample found locally is
pinned with ``@example`` in the test it broke.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
