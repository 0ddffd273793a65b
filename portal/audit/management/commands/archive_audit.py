"""`python manage.py archive_audit`: retention of the access trail, by archiving only.

    archive_audit --out DIR [--before YYYY-MM-DD] [--delete]
    archive_audit --verify FILE

Writes the chained access events older than AUDIT_RETENTION_DAYS (or --before), from the start
of the table's chain, with the records each showed, as JSON Lines (`audit-<first>-<last>.jsonl`),
a manifest (first/last chain_seq, the hash before the first and of the last entry, counts, the
file's SHA-256) and a signature file (HMAC-SHA256 with AUDIT_ARCHIVE_KEY, or a key derived from
SECRET_KEY) over both. The archive is a prefix of the chain, so it stops before the first entry
that is too new or that an alert still refers to.

`--delete` then removes the archived rows, but only after the archive has been re-read and its
signature and content checked, and records the archived head (an AuditAnchor with entries=0) so
that verify_audit starts after it. Run it as the tables' owner: the portal's own role has no
DELETE on the trail (AUDIT_APPEND_ONLY_ROLE).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from portal.audit.chain import ARCHIVED, archived_head, verify_chain
from portal.audit.models import AccessEvent, AccessEventSubject, Alert, AuditAnchor

FIELDS = [field.attname for field in AccessEvent._meta.concrete_fields]


def archive_key() -> bytes:
    material = settings.AUDIT_ARCHIVE_KEY or settings.SECRET_KEY
    return hashlib.sha256(b"portal.audit.archive|" + material.encode()).digest()


def sign(data: bytes) -> str:
    return hmac.new(archive_key(), data, hashlib.sha256).hexdigest()


def paths_for(archive: Path) -> tuple[Path, Path]:
    return archive.with_suffix(".manifest.json"), archive.with_suffix(".sig")


def verify_archive(archive: Path) -> dict:
    """Check an archive's signature, manifest and content; return the manifest. Raises
    CommandError saying what is wrong."""
    manifest_path, signature_path = paths_for(archive)
    for path in (archive, manifest_path, signature_path):
        if not path.is_file():
            raise CommandError(f"{path} is missing: an archive is the .jsonl, .manifest.json and .sig together.")
    data, manifest_bytes = archive.read_bytes(), manifest_path.read_bytes()
    try:
        signature = json.loads(signature_path.read_text())
        manifest = json.loads(manifest_bytes)
    except ValueError as error:
        raise CommandError(f"{signature_path} or {manifest_path} is not valid JSON: {error}") from error
    if not hmac.compare_digest(str(signature.get("archive", "")), sign(data)):
        raise CommandError(
            f"{archive}: the signature does not match the archive (altered, or signed with another key)."
        )
    if not hmac.compare_digest(str(signature.get("manifest", "")), sign(manifest_bytes)):
        raise CommandError(f"{manifest_path}: the signature does not match the manifest.")
    if manifest.get("sha256") != hashlib.sha256(data).hexdigest():
        raise CommandError(f"{archive}: its SHA-256 is not the manifest's.")
    lines = [json.loads(line) for line in data.decode().splitlines() if line]
    seqs = [line["chain_seq"] for line in lines]
    if (
        len(lines) != manifest["events"]
        or sum(len(line["subjects"]) for line in lines) != manifest["subjects"]
        or seqs != list(range(manifest["first_seq"], manifest["last_seq"] + 1))
        or (lines and lines[-1]["chain_hash"] != manifest["last_hash"])
    ):
        raise CommandError(f"{archive}: its entries do not match the manifest (counts, seq range or last hash).")
    return manifest


class Command(BaseCommand):
    help = "Archive access events older than the retention period to a signed export (and optionally delete them)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", help="directory for the archive")
        parser.add_argument("--before", help="archive entries written before this date (YYYY-MM-DD)")
        parser.add_argument(
            "--delete", action="store_true", help="remove the archived rows once the archive checks out"
        )
        parser.add_argument("--verify", metavar="FILE", help="check an archive's signature and manifest")

    def handle(self, *args, **options) -> None:
        if options["verify"]:
            manifest = verify_archive(Path(options["verify"]))
            self.stdout.write(
                f"signature valid: {manifest['events']} events, seq {manifest['first_seq']}-{manifest['last_seq']}"
            )
            return
        if not options["out"]:
            raise CommandError("Give --out DIR to write an archive, or --verify FILE to check one.")
        before = self._before(options["before"])
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        outcome = verify_chain(record_anchor=False)
        if not outcome.intact:
            raise CommandError(f"The trail does not verify ({outcome.describe()}): nothing archived.")
        start_seq, start_hash = archived_head() or (0, "")
        last_seq = self._last_archivable(start_seq, before)
        if last_seq <= start_seq:
            self.stdout.write(f"nothing to archive before {before:%Y-%m-%d}")
            return
        archive = out / f"audit-{start_seq + 1}-{last_seq}.jsonl"
        events, subjects, last_hash = self._write(archive, start_seq, last_seq)
        manifest = {
            "first_seq": start_seq + 1,
            "last_seq": last_seq,
            "previous_hash": start_hash,
            "last_hash": last_hash,
            "events": events,
            "subjects": subjects,
            "before": before.isoformat(),
            "written_at": timezone.now().isoformat(),
            "sha256": hashlib.sha256(archive.read_bytes()).hexdigest(),
        }
        manifest_path, signature_path = paths_for(archive)
        manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        signature_path.write_text(
            json.dumps({"archive": sign(archive.read_bytes()), "manifest": sign(manifest_path.read_bytes())})
        )
        self.stdout.write(
            f"archived {events} events ({subjects} records shown), seq {start_seq + 1}-{last_seq}: {archive}"
        )
        if options["delete"]:
            verify_archive(archive)  # re-read from disk before anything is removed
            self._delete(start_seq, last_seq, last_hash)
            self.stdout.write(f"deleted seq {start_seq + 1}-{last_seq}; verification now starts after seq {last_seq}")

    def _before(self, text: str | None) -> datetime:
        if not text:
            return timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
        try:
            day = date.fromisoformat(text)
        except ValueError as error:
            raise CommandError(f"--before {text!r} is not a date like 2020-01-31.") from error
        return timezone.make_aware(datetime.combine(day, time.min))

    def _last_archivable(self, start_seq: int, before: datetime) -> int:
        """The last seq of the prefix that is old enough and that no alert refers to."""
        chained = AccessEvent.objects.filter(chain_seq__gt=start_seq)
        blockers = [
            chained.filter(at__gte=before).order_by("chain_seq").values_list("chain_seq", flat=True).first(),
            chained.filter(alerts__isnull=False).order_by("chain_seq").values_list("chain_seq", flat=True).first(),
            chained.filter(pk__in=Alert.events.through.objects.values("accessevent_id"))
            .order_by("chain_seq")
            .values_list("chain_seq", flat=True)
            .first(),
        ]
        stops = [seq - 1 for seq in blockers if seq is not None]
        newest = chained.order_by("-chain_seq").values_list("chain_seq", flat=True).first() or start_seq
        return min([newest, *stops])

    def _write(self, archive: Path, start_seq: int, last_seq: int) -> tuple[int, int, str]:
        events = subjects = 0
        last_hash = ""
        rows = AccessEvent.objects.filter(chain_seq__gt=start_seq, chain_seq__lte=last_seq).order_by("chain_seq")
        with archive.open("w", encoding="utf-8") as handle:
            for event in rows.values(*FIELDS).iterator(chunk_size=5000):
                shown = AccessEventSubject.objects.filter(event_id=event["id"]).order_by("id")
                event["subjects"] = list(shown.values_list("subject_type", "subject_id"))
                handle.write(json.dumps(event, cls=DjangoJSONEncoder, sort_keys=True) + "\n")
                events += 1
                subjects += len(event["subjects"])
                last_hash = event["chain_hash"]
        return events, subjects, last_hash

    def _delete(self, start_seq: int, last_seq: int, last_hash: str) -> None:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # the triggers' maintenance switch, this transaction only
                    cursor.execute("SET LOCAL portal.audit_maintenance = 'on'")
            archived = AccessEvent.objects.filter(chain_seq__gt=start_seq, chain_seq__lte=last_seq)
            AccessEventSubject.objects.filter(event__in=archived)._raw_delete(connection.alias)
            archived._raw_delete(connection.alias)
            AuditAnchor.objects.create(chain_seq=last_seq, chain_hash=last_hash, entries=ARCHIVED)
