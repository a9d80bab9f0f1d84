"""Suite-wide settings. On CI (CI=true) hypothesis runs derandomized, so a red build is reproducible and
a property failure found once locally is not a coin toss on CI."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
