"""A queue worker whose election chunks take a moment, for the worker-kill tests: each chunk sleeps
after its sums are computed (before its record entry) and again after its effects are written
(record entry appended, not yet committed), so that a SIGKILL lands inside a chunk's transaction.
Run as ``python -m tests.integration.jobs.slowchunks`` with the worker's environment."""

from __future__ import annotations

import os
import time
from typing import Any


def main() -> None:
    from asamblea.commands import django_setup

    django_setup()
    from asamblea.elections.actions import tally_jobs
    from asamblea.jobs import runner
    from asamblea.jobs.worker import serve

    pause = float(os.environ.get("ASAMBLEA_TEST_CHUNK_PAUSE", "0.4"))
    sums, complete = tally_jobs._sums, runner._complete

    def slow_sums(*args: Any) -> Any:
        out = sums(*args)
        time.sleep(pause)
        return out

    def slow_complete(*args: Any) -> Any:
        time.sleep(pause)
        return complete(*args)

    tally_jobs._sums = slow_sums  # type: ignore[assignment]
    runner._complete = slow_complete  # type: ignore[assignment]
    serve(1)


if __name__ == "__main__":
    main()
