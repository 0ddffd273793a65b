"""Worker processes for the heavy graph stages (Walktrap, betweenness, dismantling).

igraph holds Python's global interpreter lock while it computes, so threads cannot use a second
core; processes can. `Workers` runs jobs either

- in a pool of worker processes (`processes` > 1): a job starts as soon as it is submitted and a
  worker is free, so independent stages overlap; or
- inline (`processes` <= 1): a job runs in the calling process when its result is first asked for,
  so the stages run one after the other, in the order the pipeline asks.

Workers come from multiprocessing's fork server, which imports the caller's main module again:
a script that runs the method with workers must keep its work under `if __name__ == "__main__":`
(manage.py, celery and pytest do).

Jobs are plain top-level functions of plain arguments, and the pipeline splits work into the same
jobs either way and combines their results in a fixed order, so the result does not depend on
the number of processes. While waiting for a worker, `Job.result()` calls `check()` about once a
second; if `check` raises (a cancelled run), the pool is stopped and the error goes up.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# Imported once by the fork server, so that workers start with them loaded.
WORKER_MODULES = ("igraph", "analytics.method.centrality", "analytics.method.groups", "analytics.method.dismantling")


class Job:
    def __init__(self, workers: Workers, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self._workers = workers
        # Both are dropped once the job is done (see `result`).
        self._function: Callable[..., Any] | None = function
        self._args: tuple[Any, ...] | None = args
        self._pending: AsyncResult | None = None
        self._done = False
        self._value: Any = None
        if workers.pool is not None:
            self._pending = workers.pool.apply_async(function, args)

    def result(self) -> Any:
        if not self._done:
            if self._pending is None:
                assert self._function is not None and self._args is not None  # freed only when done
                self._value = self._function(*self._args)
            else:
                while not self._pending.ready():
                    self._workers.check()
                    self._pending.wait(POLL_SECONDS)
                self._value = self._pending.get()
            self._done = True
            self._function = self._args = self._pending = None  # free the inputs
        return self._value


class Workers:
    """`with Workers(processes, check) as workers: job = workers.submit(f, *args); job.result()`."""

    def __init__(self, processes: int, check: Callable[[], None] = lambda: None) -> None:
        self.check = check
        self.pool: Pool | None = None
        if processes > 1:
            if multiprocessing.current_process().daemon:
                # A daemonic process may not start children (e.g. inside another pool's worker).
                logger.info("analysis stages run in one process: this process is a daemon")
            else:
                # One job per worker process: a finished job's memory (Walktrap's is over a
                # gigabyte on a large network) goes back to the system at once, instead of
                # staying with an idle process while the run goes on.
                self.pool = _context().Pool(processes, maxtasksperchild=1)

    @property
    def parallel(self) -> bool:
        return self.pool is not None

    def submit(self, function: Callable[..., Any], *args: Any) -> Job:
        return Job(self, function, args)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.pool is not None:
            # Every job the pipeline submits has been waited for unless it is leaving early
            # (an error or a cancellation): then stop what is still running.
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def _context() -> multiprocessing.context.BaseContext:
    # Workers come from a fork server: a small process started once, before the run's data is
    # loaded. A plain fork of the analysing process would start each worker as a copy-on-write
    # image of its gigabytes of inputs, and every page the parent then touches (reference counts
    # change on every read) is duplicated: on the large bundle that added 2.6 GB. Jobs get their
    # inputs pickled either way. Where there is no fork server (macOS, Windows), spawn.
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(WORKER_MODULES))
    return context
