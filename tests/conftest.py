"""Shared fixtures: the personas every rule is tested against, and the real services.

`make test-services` sets PORTAL_SERVICES=1 with DATABASE_URL and REDIS_URL. Then PostgreSQL and
Redis must answer before anything runs: a missing service stops the whole run with a message,
it never turns into skipped tests.
"""

from __future__ import annotations

import os
from datetime import date

import pytest

SERVICES = os.environ.get("PORTAL_SERVICES") == "1"


def pytest_configure(config) -> None:
    if not SERVICES:
        return
    problems = []
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        problems.append("DATABASE_URL must point at PostgreSQL (postgres://...)")
    else:
        import psycopg

        url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
        try:
            psycopg.connect(url, connect_timeout=3).close()
        except Exception as error:
            problems.append(f"PostgreSQL at {url} did not answer: {error}")
    try:
        import redis

        redis.Redis.from_url(os.environ.get("REDIS_URL", ""), socket_connect_timeout=3).ping()
    except Exception as error:
        problems.append(f"Redis at REDIS_URL={os.environ.get('REDIS_URL')!r} did not answer: {error}")
    if problems:
        pytest.exit("Services needed by `make test-services` are missing:\n  " + "\n  ".join(problems), returncode=3)


def require_services() -> None:
    """Call from a fixture of a test marked `services`: fail (never skip) outside test-services."""
    if not SERVICES:
        pytest.fail("This test needs the real services: run it with `make test-services`.")


class Personas:
    """The people the rules are tested against, all created through the real services."""

    def __init__(self) -> None:
        from portal.accounts.roles import Role
        from portal.accounts.services import agencies_seed, user_create
        from safeguarding.models import SocexHub
        from safeguarding.services import pathway_reference_data_seed

        # Transactional tests flush the seeded agencies, so seed them again when needed.
        agencies = agencies_seed()
        pathway_reference_data_seed()
        self.agencies = agencies

        def make(username: str, role: str, agency: str):
            return user_create(username=username, password="x", agency=agencies[agency], role=role, validate=False)

        self.analyst = make("analyst", Role.ANALYST, "wmp")
        self.supervisor = make("supervisor", Role.INTELLIGENCE_SUPERVISOR, "wmp")
        self.officer = make("officer.birmingham", Role.POLICE_SAFEGUARDING_OFFICER, "wmp")
        SocexHub.objects.get(code="birmingham-hub").officers.add(self.officer)
        self.mash_birmingham = make("mash.birmingham", Role.MASH_PRACTITIONER, "birmingham")
        self.mash_coventry = make("mash.coventry", Role.MASH_PRACTITIONER, "coventry")
        self.mash_manager = make("mashmanager.birmingham", Role.MASH_MANAGER, "birmingham")
        self.panel_member = make("panel", Role.PANEL_MEMBER, "birmingham")
        self.partner_health = make("partner.health", Role.PARTNER_PRACTITIONER, "health")
        self.outsider = make("partner.education", Role.PARTNER_PRACTITIONER, "education")
        self.auditor = make("auditor", Role.AUDITOR, "wmp")
        self.spoc = make("spoc", Role.SPOC, "wmp")
        self.provider_spoc = make("provider.spoc", Role.PROVIDER_SPOC, "provider-northmoor")
        self.administrator = make("admin", Role.ADMINISTRATOR, "wmp")
        self.administrator.is_staff = self.administrator.is_superuser = True
        self.administrator.save()

    def all(self) -> dict:
        return {name: value for name, value in vars(self).items() if name != "agencies"}


@pytest.fixture
def personas(db) -> Personas:
    return Personas()


# A tiny bundle: a Birmingham child running for a line, the adult dealer beside him, and a
# vulnerable adult whose flat was cuckooed.
TINY_BUNDLE = {
    "nominals.csv": "nominal_id,surname,forenames,date_of_birth,gender,local_authority,flags\n"
    "N-TEST-1,Harbottle,Reece,2010-05-01,M,Birmingham,LAC\n"
    "N-TEST-2,Vance,Dexter,1990-02-02,M,Birmingham,\n"
    "N-TEST-3,Okafor,Lena,1985-03-03,F,Coventry,VULNERABLE_ADULT\n",
    "records.csv": "record_id,source,recorded_at,offence_code,text\n"
    "R-TEST-1,IMS,2026-05-01,,Runner for a county line; deal line phone\n"
    "R-TEST-2,CRIMES,2026-05-02,092/01,County line drugs; cuckooed flat\n",
    "record_nominals.csv": "record_id,nominal_id,role\n"
    "R-TEST-1,N-TEST-1,SUBJECT\nR-TEST-1,N-TEST-2,SUSPECT\nR-TEST-2,N-TEST-2,SUSPECT\nR-TEST-2,N-TEST-3,VICTIM\n",
}
TINY_REFERENCE_DATE = date(2026, 6, 30)


@pytest.fixture
def tiny_bundle(tmp_path):
    directory = tmp_path / "tiny-bundle"
    directory.mkdir()
    for name, text in TINY_BUNDLE.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def nominal(db, tiny_bundle):
    """N-TEST-1, a child in Birmingham, imported through the real import service."""
    from analytics.importing import bundle_import
    from analytics.models import ImportBatch, Nominal

    batch = bundle_import(batch=ImportBatch.objects.create(), path=tiny_bundle)
    assert batch.status == ImportBatch.Status.SUCCEEDED, batch.errors
    return Nominal.objects.get(pk="N-TEST-1")


@pytest.fixture
def completed_run(nominal, personas):
    """A run of the tiny bundle requested by the supervisor, executed through the real services."""
    from analytics.analysis import analysis_run_create, analysis_run_execute
    from analytics.models import AnalysisRun

    run = analysis_run_execute(
        run=analysis_run_create(actor=personas.supervisor, reference_date=TINY_REFERENCE_DATE)
    )
    assert run.status == AnalysisRun.Status.SUCCEEDED, run.error
    return run


@pytest.fixture
def child_case(personas):
    """A Birmingham child's case opened by the analyst and referred to Birmingham's MASH by the
    police review: WMP and Birmingham write, health reads."""
    from portal.access import Access
    from safeguarding.models import CaseKind
    from safeguarding.pathway import case_transition
    from safeguarding.services import case_create, case_share

    case = case_create(
        actor=personas.analyst,
        kind=CaseKind.CHILD,
        forenames="Reece",
        surname="Harbottle",
        date_of_birth=date(2010, 5, 1),
        local_authority=personas.agencies["birmingham"],
        summary="Seen running for a deal line.",
    )
    case = case_transition(
        actor=personas.officer,
        case_id=case.pk,
        to="referred",
        data={"concern": "Reece is a child at risk of criminal exploitation by a county line."},
    )
    case_share(actor=personas.supervisor, case=case, agency=personas.agencies["health"], level=Access.READ)
    return case


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the test database and the real Redis broker.

    Tests using it must use `transactional_db` so that what they write is committed and the
    worker, a separate process, can see it.
    """
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    require_services()
    from portal.celery import app

    root = Path(__file__).resolve().parents[1]
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        # Runs on this worker use worker processes however small the network (see analysis).
        "ANALYSIS_WORKERS": "2",
        "ANALYSIS_PARALLEL_MIN_NODES": "0",
    }
    log_path = root / "var" / "test-celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "--queues",
            "celery,analysis",
            "--loglevel",
            "INFO",
            "--hostname",
            f"pytest-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5, destination=[f"pytest-{os.getpid()}@{os.uname().nodename}"]):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"The Celery worker did not start; see {log_path}:\n{log_path.read_text()[-3000:]}")
    app.conf.task_always_eager = False
    yield worker
    app.conf.task_always_eager = True
    worker.terminate()
    worker.wait(timeout=30)
    log.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Selenium through Debian's chromedriver."""
    import shutil
    import tempfile

    require_services()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail(
            "Browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="portal-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
