"""Loaded into a test's worker process (``celery worker --include``): CHUNK_SIZE
(environment) sets the size of a full run's id ranges, so a small population makes several."""

import os

from metrics import services

services.CHUNK_SIZE = int(os.environ["CHUNK_SIZE"])
