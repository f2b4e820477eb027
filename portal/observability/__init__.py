"""Metrics, logs and probes. This module imports nothing heavy: `portal serve` calls
`prepare_multiprocess` before prometheus_client is imported anywhere, since prometheus_client
chooses between its per-process and its multiprocess storage when it is first imported."""

from __future__ import annotations

import os

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(directory: os.PathLike | str) -> None:
    """Before the workers start: an empty directory for their figures (old files would add up)."""
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.unlink(os.path.join(directory, name))
    os.environ[MULTIPROCESS_ENV] = str(directory)
