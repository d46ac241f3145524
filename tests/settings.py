"""The test suite's settings: the product's own, with test mode switched on explicitly (fast password hashing, a
generated secret key, local hosts allowed). Commands the tests start as subprocesses inherit the switch and read
`retrospector.settings` like any other run."""

import os

os.environ["RETROSPECTOR_TESTING"] = "1"
os.environ["DJANGO_SETTINGS_MODULE"] = "retrospector.settings"

from retrospector.settings import *  # noqa: F403

# The insights' tables in memory, beside the default cache (the same LOCATION: one store, which the tests' cache.clear()
# empties); tests/insights/test_insights_shared_cache.py runs them on the database cache of production.
CACHES = {**CACHES, "insights": {**CACHES["default"], "TIMEOUT": 300}}  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # The same backend, with a quicker flush after transactional tests (tests/pg_backend/base.py).
    DATABASES["default"]["ENGINE"] = "tests.pg_backend"  # noqa: F405
