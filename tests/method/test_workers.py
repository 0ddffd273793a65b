from __future__ import annotations

import os
import time

import pytest

from analytics.method.workers import Workers


class Stop(Exception):
    pass


def test_inline_jobs_run_when_their_result_is_asked_for():
    ran: list[str] = []
    with Workers(1) as workers:
        job = workers.submit(ran.append, "x")
        assert not workers.parallel and ran == []
        assert job.result() is None and job.result() is None
    assert ran == ["x"]  # once


def test_jobs_run_in_other_processes():
    with Workers(2) as workers:
        jobs = [workers.submit(os.getpid) for _ in range(4)]
        assert os.getpid() not in {job.result() for job in jobs}


def test_an_error_in_a_job_reaches_the_caller():
    with Workers(2) as workers:
        job = workers.submit(int, "not a number")
        with pytest.raises(ValueError, match="not a number"):
            job.result()


def test_check_stops_the_wait_and_the_workers():
    asked = []

    def check():
        asked.append(1)
        if len(asked) >= 2:
            raise Stop

    started = time.monotonic()
    with pytest.raises(Stop), Workers(2, check=check) as workers:
        workers.submit(time.sleep, 60).result()
    assert time.monotonic() - started < 10
    assert workers.pool is None
