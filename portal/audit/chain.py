"""The tamper-evident chain of access events, and the append-only guard around the trail.

Each access event gets, after its transaction commits, a place in one chain: `chain_seq`
(1, 2, 3, ... with no gaps) and `chain_hash` = HMAC-SHA256(key, previous chain_hash bytes ||
content digest), where the content digest is SHA-256 of a canonical text of every content column
(`CANONICAL_COLUMNS`). The database computes the digest (`_digest_sql`), so chaining and
verification use exactly the same expression; verification is then a set-based query with
window functions (`verify_chain`; a long chain is split into seq ranges checked side by side on
separate connections, each range linked to the entries either side of it).

Why a keyed hash: a plain SHA-256 chain can be recomputed by anyone who can write the table,
so rewriting the newest entries (after the last anchor) would go unnoticed. With the key held by
the portal (settings, not the database) a forged entry cannot be given a valid hash. The HMAC is
written out in SQL (sha256 of the key pads) so PostgreSQL needs no extension.

Chaining happens after commit (`chain_pending_soon` from a post_save hook, and the beat task
`portal.audit.tasks.chain_pending`), never inside the writer's transaction: a long transaction
must not hold up everyone's auditing. One pass at a time holds a PostgreSQL advisory lock; the
post-commit hook only tries it (whoever holds it chains everything pending), the beat task waits.
On SQLite there is no advisory lock: SQLite serialises writers (IMMEDIATE transactions).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection as default_connection
from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils import timezone

from .models import AccessEvent, AuditAnchor

logger = logging.getLogger(__name__)

TABLE = "audit_accessevent"
# The tables nothing in the portal may change or delete from (the append-only triggers).
APPEND_ONLY_TABLES = ("audit_accessevent", "audit_accesseventsubject", "auditlog_logentry")
# pg_advisory_xact_lock key for the chaining pass ("audit chain").
LOCK_KEY = 0x61756469745F63
# An AuditAnchor with entries == ARCHIVED marks the archived head: the entries up to it were
# exported to a signed archive and removed (archive_audit --delete); verification starts after it.
ARCHIVED = 0
# Verification splits a chain of at least VERIFY_PARALLEL_MIN entries into up to VERIFY_WORKERS
# seq ranges checked at once, each on its own connection (PostgreSQL only).
VERIFY_PARALLEL_MIN = 500_000
VERIFY_WORKERS = 4

# The content columns of an access event, in the canonical text's order. Fixed on purpose: a
# column added later must be added here deliberately (tests/audit/test_chain.py checks that every
# model field is either here or a chain field), and adding one changes the digest of new rows only
# if old rows hash it as NULL, so add it at the end.
CANONICAL_COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_username",
    "actor_agency",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "query",
    "result_count",
    "path",
    "method",
    "via",
    "ip_address",
    "user_agent",
    "reason",
    "purpose",
    "recipients",
    "detail",
)
CHAIN_COLUMNS = ("chain_seq", "chain_hash")
# Hashed after the canonical text, and only when set: entries written before it was kept (empty)
# keep the digest they were chained with.
SUBJECTS_COLUMN = "subjects_digest"
# The subjects digest of an event that showed no one (so that "no subjects" is recorded too).
NO_SUBJECTS = hashlib.sha256(b"").hexdigest()


# --- Key and hashes ---------------------------------------------------------------------------


def _key() -> bytes:
    material = getattr(settings, "AUDIT_ARCHIVE_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(b"portal.audit.chain|" + material.encode()).digest()


def _pads() -> tuple[bytes, bytes]:
    """HMAC's inner and outer key pads (RFC 2104), so SQL can compute the HMAC with sha256()."""
    key = _key().ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def link(previous_hash: str, digest: bytes) -> str:
    """The chain hash of an entry whose content digest is `digest`, after `previous_hash` ('' for
    the first entry)."""
    return hmac.new(_key(), bytes.fromhex(previous_hash) + digest, hashlib.sha256).hexdigest()


def subjects_digest(keys) -> str:
    """SHA-256 (hex) of an event's subject rows: one "type<US>id" line each (US: the unit
    separator, chr 31), in code-point order, as `_subjects_sql` computes it from the stored rows."""
    lines = sorted(f"{kind}\x1f{key}" for kind, key in keys)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest() if lines else NO_SUBJECTS


def canonical_text_sql(vendor: str) -> str:
    """SQL for the canonical text of row `t`'s content columns.

    PostgreSQL: the row constructor's text form (record_out: empty strings quoted, NULL empty,
    anything with a separator quoted and escaped, so no value can shift into its neighbour),
    computed in C, which is what lets verification keep up with millions of rows. Timestamps and
    JSON print in one form because `_canonical_session` fixes DateStyle and TimeZone (jsonb's
    text is normalised). SQLite: each column as length:value, or ~ for NULL."""
    subjects = f"CASE WHEN t.\"{SUBJECTS_COLUMN}\" = '' THEN '' ELSE '|' || t.\"{SUBJECTS_COLUMN}\" END"
    if vendor == "postgresql":
        return "ROW(" + ", ".join(f't."{column}"' for column in CANONICAL_COLUMNS) + ")::text || " + subjects
    parts = [
        f"coalesce(length(CAST(t.\"{c}\" AS TEXT)) || ':' || CAST(t.\"{c}\" AS TEXT), '~')" for c in CANONICAL_COLUMNS
    ]
    return "(" + " || '|' || ".join(parts) + ") || " + subjects


def _canonical_session(cursor, vendor: str) -> None:
    """Inside the caller's transaction: the settings the canonical text depends on."""
    if vendor == "postgresql":
        cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        cursor.execute("SET LOCAL IntervalStyle = 'postgres'")


def _digest_sql(vendor: str) -> str:
    if vendor == "postgresql":
        return f"sha256(convert_to({canonical_text_sql(vendor)}, 'UTF8'))"
    return f"audit_sha256({canonical_text_sql(vendor)})"


def _cursor(connection: BaseDatabaseWrapper):
    """A cursor that, on PostgreSQL, sends parameters apart from the query text (server-side
    binding), so the key's HMAC pads never show in pg_stat_activity or the statement log."""
    if connection.vendor == "postgresql":
        import psycopg

        connection.ensure_connection()
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def _link_sql(vendor: str, previous: str, digest: str) -> str:
    """SQL for link(previous, digest); on PostgreSQL uses the %(ipad)s and %(opad)s parameters."""
    if vendor == "postgresql":
        inner = f"sha256(%(ipad)s::bytea || decode({previous}, 'hex') || {digest})"
        return f"encode(sha256(%(opad)s::bytea || {inner}), 'hex')"
    return f"audit_link({previous}, {digest})"


def _params(vendor: str, **extra: object) -> dict[str, object]:
    if vendor == "postgresql":
        ipad, opad = _pads()
        return {"ipad": ipad, "opad": opad, **extra}
    return dict(extra)


def _sqlite_sha256(text: str | None) -> bytes | None:
    return None if text is None else hashlib.sha256(text.encode()).digest()


def _sqlite_link(previous: str | None, digest: bytes | None) -> str | None:
    return None if previous is None or digest is None else link(previous, digest)


@receiver(connection_created)
def _on_connection(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """SQLite gets the SQL functions PostgreSQL has built in; test databases may be flushed."""
    if connection.vendor == "sqlite":
        raw = connection.connection
        raw.create_function("audit_sha256", 1, _sqlite_sha256, deterministic=True)
        raw.create_function("audit_link", 2, _sqlite_link, deterministic=True)
    elif connection.vendor == "postgresql" and getattr(settings, "AUDIT_ALLOW_TEST_FLUSH", False):
        # Tests only (portal/settings/test.py): pytest-django empties the tables with TRUNCATE
        # after transactional tests, which the append-only triggers otherwise refuse.
        with connection.connection.cursor() as cursor:
            cursor.execute("SET portal.audit_maintenance = 'on'")


# --- Chaining ---------------------------------------------------------------------------------


def _head(cursor, vendor: str) -> tuple[int, str]:
    """The newest chained entry (seq, hash), or the archived head, or (0, '')."""
    cursor.execute(
        f"SELECT chain_seq, chain_hash FROM {TABLE} WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1"
    )
    row = cursor.fetchone()
    if row is not None:
        return int(row[0]), row[1]
    archived = archived_head()
    return archived if archived is not None else (0, "")


def archived_head() -> tuple[int, str] | None:
    anchor = AuditAnchor.objects.filter(entries=ARCHIVED).order_by("-chain_seq").first()
    return (anchor.chain_seq, anchor.chain_hash) if anchor is not None else None


def chain_pending(*, wait: bool = True, batch_size: int = 20000) -> int:
    """Give every committed, unchained access event its place in the chain, in id order; return
    how many were chained. With `wait=False` return 0 at once if another pass holds the lock
    (that pass chains what is pending)."""
    vendor = default_connection.vendor
    chained = 0
    with transaction.atomic(), default_connection.cursor() as cursor:
        if vendor == "postgresql":
            if wait:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            else:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
                if not cursor.fetchone()[0]:
                    return 0
        _canonical_session(cursor, vendor)
        seq, previous = _head(cursor, vendor)
        digest_sql = _digest_sql(vendor)
        while True:
            cursor.execute(
                f"SELECT t.id, {digest_sql} FROM {TABLE} t WHERE t.chain_seq IS NULL ORDER BY t.id LIMIT {int(batch_size)}"
            )
            rows = cursor.fetchall()
            if not rows:
                return chained
            ids, seqs, hashes = [], [], []
            for event_id, digest in rows:
                seq += 1
                previous = link(previous, bytes(digest))
                ids.append(event_id)
                seqs.append(seq)
                hashes.append(previous)
            if vendor == "postgresql":
                cursor.execute(
                    f"UPDATE {TABLE} t SET chain_seq = v.seq, chain_hash = v.hash FROM "
                    "(SELECT unnest(%s::bigint[]) AS id, unnest(%s::bigint[]) AS seq, unnest(%s::text[]) AS hash) v "
                    "WHERE t.id = v.id AND t.chain_seq IS NULL",
                    [ids, seqs, hashes],
                )
            else:
                cursor.executemany(
                    f"UPDATE {TABLE} SET chain_seq = %s, chain_hash = %s WHERE id = %s AND chain_seq IS NULL",
                    list(zip(seqs, hashes, ids, strict=True)),
                )
            chained += len(rows)


# When the task this process queued last will run (time.monotonic()): until then a commit here
# needs no cache write, as that task starts after it and chains it.
_queued_task_runs_at = 0.0
# Kept clear of the task's start, for the clocks of the broker and the worker.
_QUEUE_MARGIN_SECONDS = 0.5


def chain_pending_soon() -> None:
    """After a commit that wrote access events: have them chained soon, off the request's path.

    With AUDIT_CHAIN_DEBOUNCE_SECONDS (production: 2) one chaining task is queued per window,
    with that countdown, however many requests commit in it: a request pays at most one cache
    write (none while a task this process queued is still to run), not a second committed
    transaction. With 0 (the tests, and wherever tasks run eagerly) the pending events are
    chained here, unless another pass is at it. A failure here must not fail the request that
    already committed: the beat task retries."""
    global _queued_task_runs_at
    from django.conf import settings

    debounce = getattr(settings, "AUDIT_CHAIN_DEBOUNCE_SECONDS", 0)
    try:
        if debounce and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            now = time.monotonic()
            if now < _queued_task_runs_at - _QUEUE_MARGIN_SECONDS:
                return
            from django.core.cache import cache

            if cache.add("audit:chain-scheduled", True, timeout=debounce):
                from .tasks import chain_pending as chain_pending_task

                chain_pending_task.apply_async(countdown=debounce)
                _queued_task_runs_at = now + debounce
            return
        chain_pending(wait=False)
    except Exception:
        logger.exception("Chaining the access trail failed; the audit-chain-pending task will retry")


def on_access_event_saved(sender, instance: AccessEvent, created: bool, **kwargs) -> None:
    if created:
        transaction.on_commit(chain_pending_soon)


# --- Verification -----------------------------------------------------------------------------


class Fault:
    ALTERED = "altered"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    UNCHAINED = "unchained"


@dataclass(frozen=True)
class Verification:
    entries: int
    head_seq: int
    head_hash: str
    seconds: float
    fault: str = ""
    fault_seq: int | None = None
    fault_id: int | None = None

    @property
    def intact(self) -> bool:
        return not self.fault

    def describe(self) -> str:
        if self.intact:
            return f"intact: {self.entries} entries, head seq {self.head_seq} ({self.head_hash[:16]})"
        seq = "-" if self.fault_seq is None else self.fault_seq
        event = "-" if self.fault_id is None else self.fault_id
        return f"first bad entry: seq {seq} (id {event}): {self.fault}"


def _verify_sql(vendor: str) -> str:
    """One pass over the entries with chain_seq from %(lo)s to %(hi)s: each entry's link recomputed from the
    stored hash before it. The first entry that fails is classified by how its neighbours link:
    a gap in seq is a deletion (named by the first missing seq); an entry whose hash is the link
    of the *next* entry's hash is one of two swapped entries; an entry the next entry skips over
    (the next links to the previous one) was inserted; any other mismatch is an alteration.

    Returns one row: entries checked, highest seq, and the first fault as sortable text
    "<seq, 20 digits>:<id or empty>:<fault>" (the minimum over all faults is the first one)."""
    digest = _digest_sql(vendor)
    own = _link_sql(vendor, "coalesce(prev_hash, %(start_hash)s)", "digest")
    swapped = _link_sql(vendor, "next_hash", "digest")
    skipped = _link_sql(vendor, "coalesce(prev_hash, %(start_hash)s)", "next_digest")
    # OFFSET 0 keeps PostgreSQL from inlining the digest into each window function that reads it.
    fence = "OFFSET 0" if vendor == "postgresql" else ""
    if vendor == "postgresql":
        key = "lpad(bad_seq::text, 20, '0') || ':' || coalesce(bad_id::text, '') || ':' || fault"
    else:
        key = "printf('%%020d:%%s:%%s', bad_seq, coalesce(bad_id, ''), fault)"
    gap = "chain_seq - coalesce(prev_seq, %(start_seq)s)"
    columns = f"t.id, t.chain_seq, t.chain_hash, {digest} AS digest"
    return f"""
        WITH c AS (
            SELECT id, chain_seq, chain_hash, digest,
                   lag(chain_seq) OVER w AS prev_seq, lag(chain_hash) OVER w AS prev_hash,
                   lead(chain_hash) OVER w AS next_hash, lead(digest) OVER w AS next_digest
            FROM (SELECT * FROM (SELECT {columns} FROM {TABLE} t
                                 WHERE t.chain_seq BETWEEN %(lo)s AND %(hi)s ORDER BY t.chain_seq {fence}) inner_range
                  UNION ALL  -- the entries either side of the range, to link its ends to
                  SELECT * FROM (SELECT {columns} FROM {TABLE} t WHERE t.chain_seq < %(lo)s AND t.chain_seq > %(start_seq)s
                                 ORDER BY t.chain_seq DESC LIMIT 1) before_range
                  UNION ALL
                  SELECT * FROM (SELECT {columns} FROM {TABLE} t WHERE t.chain_seq > %(hi)s
                                 ORDER BY t.chain_seq LIMIT 1) after_range) d
            WINDOW w AS (ORDER BY chain_seq)
        ), f AS (
            SELECT chain_seq,
                   CASE WHEN {gap} > 1 THEN coalesce(prev_seq, %(start_seq)s) + 1 ELSE chain_seq END AS bad_seq,
                   CASE WHEN {gap} > 1 THEN NULL ELSE id END AS bad_id,
                   CASE
                       WHEN {gap} <> 1 THEN 'deleted'
                       WHEN chain_hash = {own} THEN NULL
                       WHEN next_hash IS NOT NULL AND chain_hash = {swapped} THEN 'reordered'
                       WHEN next_hash IS NOT NULL AND next_hash = {skipped} THEN 'inserted'
                       ELSE 'altered' END AS fault
            FROM c WHERE chain_seq BETWEEN %(lo)s AND %(hi)s
        )
        SELECT count(*), max(chain_seq), min(CASE WHEN fault IS NOT NULL THEN {key} END) FROM f
    """


def _ranges(lo: int, hi: int, vendor: str) -> list[tuple[int, int]]:
    """The seq ranges verified side by side: one below VERIFY_PARALLEL_MIN entries (and always on
    SQLite), else one per core (at most VERIFY_WORKERS)."""
    total = hi - lo + 1
    workers = 1 if vendor != "postgresql" or total < VERIFY_PARALLEL_MIN else min(VERIFY_WORKERS, os.cpu_count() or 1)
    if workers <= 1 or total <= 0:
        return [(lo, max(hi, lo))]
    size = -(-total // workers)
    return [(start, min(start + size - 1, hi)) for start in range(lo, hi + 1, size)]


def _verify_range(vendor: str, start_seq: int, start_hash: str, lo: int, hi: int) -> tuple[int, str | None]:
    """(entries checked, first fault key or None) for the entries from seq lo to hi."""
    with transaction.atomic(), _cursor(default_connection) as cursor:
        _canonical_session(cursor, vendor)
        params = _params(vendor, start_seq=start_seq, start_hash=start_hash, lo=lo, hi=hi)
        cursor.execute(_verify_sql(vendor), params)
        entries, _, first_fault = cursor.fetchone()
    return int(entries), first_fault


def _on_own_connection(function, *args):
    """`function(*args)` in a worker thread, closing the thread's own connection after."""
    try:
        return function(*args)
    finally:
        default_connection.close()


def verify_chain(*, record_anchor: bool = True) -> Verification:
    """Check the whole chain (set-based, by seq range), the newest anchor, and that nothing older
    than AUDIT_CHAIN_GRACE_SECONDS is left unchained. Changes nothing in the trail; after a clean
    verification records the head as a new AuditAnchor (unless `record_anchor` is false)."""
    started = time.perf_counter()
    vendor = default_connection.vendor
    start_seq, start_hash = archived_head() or (0, "")
    with default_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chain_seq, chain_hash FROM {TABLE} WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1"
        )
        row = cursor.fetchone()
    head_seq, head_hash = (int(row[0]), row[1]) if row is not None else (start_seq, start_hash)
    ranges = _ranges(start_seq + 1, head_seq, vendor)
    if len(ranges) == 1:
        parts = [_verify_range(vendor, start_seq, start_hash, *ranges[0])]
    else:  # each range on its own connection: the hashing is what takes the time
        with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
            parts = list(
                pool.map(
                    lambda bounds: _on_own_connection(_verify_range, vendor, start_seq, start_hash, *bounds), ranges
                )
            )
    entries = sum(part[0] for part in parts)
    faults = [part[1] for part in parts if part[1]]
    first_fault = min(faults) if faults else None

    def result(fault: str = "", seq: int | None = None, event_id: int | None = None) -> Verification:
        return Verification(int(entries), head_seq, head_hash, time.perf_counter() - started, fault, seq, event_id)

    if first_fault:  # a deletion names the missing seq, whose id is gone
        bad_seq, bad_id, fault = first_fault.split(":")
        return result(fault, int(bad_seq), int(bad_id) if bad_id else None)
    anchor = AuditAnchor.objects.exclude(entries=ARCHIVED).order_by("-chain_seq", "-id").first()
    if anchor is not None and anchor.chain_seq > start_seq:
        found = AccessEvent.objects.filter(chain_seq=anchor.chain_seq).values_list("id", "chain_hash").first()
        if found is None:  # the newest entries were cut off
            return result(Fault.DELETED, anchor.chain_seq)
        if found[1] != anchor.chain_hash:
            return result(Fault.ALTERED, anchor.chain_seq, found[0])
    grace = timezone.now() - timedelta(seconds=settings.AUDIT_CHAIN_GRACE_SECONDS)
    stale = (
        AccessEvent.objects.filter(chain_seq__isnull=True, at__lt=grace)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if stale is not None:
        return result(Fault.UNCHAINED, None, stale)
    outcome = result()
    if record_anchor and head_seq > start_seq and (anchor is None or anchor.chain_seq != head_seq):
        AuditAnchor.objects.create(chain_seq=head_seq, chain_hash=head_hash, entries=outcome.entries)
    return outcome


# --- The subject rows -------------------------------------------------------------------------


@dataclass(frozen=True)
class SubjectsVerification:
    """Each event's subject rows against the digest it was written (and chained) with."""

    entries: int
    seconds: float
    fault_id: int | None = None
    fault_seq: int | None = None

    @property
    def intact(self) -> bool:
        return self.fault_id is None

    def describe(self) -> str:
        if self.intact:
            return f"subjects intact: {self.entries} entries checked"
        seq = "-" if self.fault_seq is None else self.fault_seq
        return f"first entry whose subjects changed: seq {seq} (id {self.fault_id}): subjects altered"


def _subjects_sql() -> str:
    """PostgreSQL: (entries checked, first id whose stored subject rows do not give its digest)
    for event ids from %(lo)s to %(hi)s. Entries with no digest (written before it was kept)
    are skipped."""
    line = "s.subject_type || chr(31) || s.subject_id"
    return f"""
        SELECT count(*), min(e.id) FILTER (WHERE coalesce(d.digest, %(none)s) <> e.{SUBJECTS_COLUMN})
        FROM {TABLE} e
        LEFT JOIN (
            SELECT s.event_id,
                   encode(sha256(convert_to(string_agg({line}, E'\\n' ORDER BY {line} COLLATE "C"), 'UTF8')), 'hex')
                       AS digest
            FROM audit_accesseventsubject s WHERE s.event_id BETWEEN %(lo)s AND %(hi)s GROUP BY s.event_id
        ) d ON d.event_id = e.id
        WHERE e.id BETWEEN %(lo)s AND %(hi)s AND e.{SUBJECTS_COLUMN} <> ''
    """


def _subjects_range(lo: int, hi: int) -> tuple[int, int | None]:
    with default_connection.cursor() as cursor:
        cursor.execute(_subjects_sql(), {"lo": lo, "hi": hi, "none": NO_SUBJECTS})
        checked, bad = cursor.fetchone()
    return int(checked), bad


def _subjects_in_python() -> tuple[int, int | None]:
    """SQLite (no ordered aggregates): the same check, event by event."""
    from .models import AccessEventSubject

    shown: dict[int, list[tuple[str, str]]] = {}
    for event_id, kind, key in AccessEventSubject.objects.values_list("event_id", "subject_type", "subject_id"):
        shown.setdefault(event_id, []).append((kind, key))
    checked, bad = 0, None
    events = AccessEvent.objects.exclude(**{SUBJECTS_COLUMN: ""}).order_by("id").values_list("id", SUBJECTS_COLUMN)
    for event_id, digest in events.iterator():
        checked += 1
        if bad is None and subjects_digest(shown.get(event_id, [])) != digest:
            bad = event_id
    return checked, bad


def verify_subjects() -> SubjectsVerification:
    """Check every event's subject rows ("who was shown") against the digest the event was
    written with. The digest is in the chain (`verify_chain` finds it changed); this finds the
    rows changed, removed, added or moved to another event. Changes nothing."""
    started = time.perf_counter()
    vendor = default_connection.vendor
    if vendor != "postgresql":
        checked, bad = _subjects_in_python()
    else:
        bounds = AccessEvent.objects.aggregate(lo=models.Min("id"), hi=models.Max("id"))
        if bounds["lo"] is None:
            checked, bad = 0, None
        else:
            ranges = _ranges(bounds["lo"], bounds["hi"], vendor)
            if len(ranges) == 1:
                parts = [_subjects_range(*ranges[0])]
            else:
                with ThreadPoolExecutor(max_workers=len(ranges)) as pool:
                    parts = list(pool.map(lambda bounds: _on_own_connection(_subjects_range, *bounds), ranges))
            checked = sum(part[0] for part in parts)
            bad = min((part[1] for part in parts if part[1] is not None), default=None)
    seq = AccessEvent.objects.filter(pk=bad).values_list("chain_seq", flat=True).first() if bad is not None else None
    return SubjectsVerification(checked, time.perf_counter() - started, bad, seq)


# --- Append-only (PostgreSQL) -----------------------------------------------------------------

TRIGGER_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('portal.audit_maintenance', true), '') = 'on' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    -- Nested: PL/pgSQL resolves OLD.chain_seq even where AND would not reach it.
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_accessevent' THEN
        IF OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL
           AND (to_jsonb(NEW) - 'chain_seq' - 'chain_hash') = (to_jsonb(OLD) - 'chain_seq' - 'chain_hash') THEN
            RETURN NEW;  -- the chaining pass, filling the chain once
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def install_triggers_sql() -> list[str]:
    statements = [TRIGGER_FUNCTION_SQL]
    for table in APPEND_ONLY_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
        ]
    return statements


def remove_triggers_sql() -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        ]
    return [*statements, "DROP FUNCTION IF EXISTS audit_refuse_change()"]


def revoke_privileges(connection: BaseDatabaseWrapper, role: str) -> list[str]:
    """REVOKE UPDATE, DELETE, TRUNCATE on the append-only tables from `role` (the portal's own
    database role), giving back only the column privilege the chaining pass needs. Returns the
    statements run. PostgreSQL only."""
    if connection.vendor != "postgresql":
        raise ValueError("Privileges can only be revoked on PostgreSQL.")
    quoted = connection.ops.quote_name(role)
    statements = [f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {quoted}" for table in APPEND_ONLY_TABLES]
    # The chaining pass fills chain_seq/chain_hash once (the trigger allows nothing else).
    statements.append(f"GRANT UPDATE (chain_seq, chain_hash) ON {TABLE} TO {quoted}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            raise ValueError(f"There is no database role {role!r}: check AUDIT_APPEND_ONLY_ROLE.")
        for statement in statements:
            cursor.execute(statement)
    return statements
