"""Writes of the SPoC liaison other than the lifecycle steps (spoc.transitions): applications,
providers' responses, errors, the confirmation of urgent authorisations, and deal lines."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from analytics.models import Nominal
from portal.accounts.models import Agency, AgencyKind
from portal.accounts.roles import COMMS_APPLICANT_ROLES, Role
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from safeguarding.models import Case

from .models import (
    TEXT_MAX,
    Category,
    CommsError,
    CommsRequest,
    CommsRequestTransition,
    DealLine,
    DealLineStatus,
    ErrorKind,
    ProviderResponse,
    ReferenceCounter,
    RequestKind,
    RequestState,
    SensitiveProfession,
    StatutoryPurpose,
    Urgency,
    Violence,
)
from .selectors import REQUEST_TYPE, request_get_for_user

DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024
# Words that mean the content of a communication, which communications data never is.
CONTENT_WORDS = re.compile(
    r"\b(content|contents|message text|text of (the )?messages?|what was said|recordings?|voicemails?|"
    r"audio|intercept(ion)?|e-?mail bod(y|ies)|photos?|images?|attachments?)\b",
    re.IGNORECASE,
)
CONTENT_REFUSAL = (
    "The content of communications is not communications data: it needs a targeted interception or "
    "equipment interference warrant (Investigatory Powers Act 2016, Parts 2 and 5), and this route "
    "cannot be used to obtain it. Ask only for entity or events data."
)


def _response_limit() -> int:
    return int(getattr(settings, "SPOC_RESPONSE_MAX_BYTES", DEFAULT_MAX_RESPONSE_BYTES))


def responses_root() -> Path:
    """Where providers' responses are kept: under MEDIA_ROOT, in a folder no URL serves."""
    return Path(settings.MEDIA_ROOT) / "private" / "spoc-responses"


def next_reference(*, today: date | None = None) -> str:
    year = (today or timezone.localdate()).year
    with transaction.atomic():
        ReferenceCounter.objects.get_or_create(year=year)
        counter = ReferenceCounter.objects.select_for_update().get(year=year)
        ReferenceCounter.objects.filter(pk=year).update(value=F("value") + 1)
        number = counter.value + 1
    return f"CD-{year}-{number:05d}"


# --- applications ---------------------------------------------------------------------------------


def _clean_text(value: Any, *, field: str, label: str, required: bool, max_length: int = TEXT_MAX) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError({field: f"{label} must be text."})
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({field: f"{label} contains a NUL character; remove it."})
    if required and not value:
        raise ValidationError({field: f"{label} is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"{label} has {len(value):,} characters; at most {max_length:,}."})
    return value


def _choice(value: Any, choices, *, field: str, label: str, blank: bool = False) -> str:
    value = "" if value is None else value
    if blank and value == "":
        return ""
    if value not in choices.values:
        raise ValidationError({field: f"{label}: choose one of {', '.join(v for v in choices.values if v)}."})
    return value


def provider_agencies():
    return Agency.objects.filter(kind=AgencyKind.COMMUNICATIONS_PROVIDER).order_by("name")


APPLICATION_FIELDS = (
    "kind",
    "investigation",
    "case",
    "nominal",
    "deal_line",
    "provider",
    "identifier",
    "data_sought",
    "date_from",
    "date_to",
    "statutory_purpose",
    "necessity",
    "proportionality",
    "collateral_intrusion",
    "category",
    "urgency",
    "serious_crime_threshold",
    "sensitive_profession",
    "preservation_expires_on",
)


def _application(*, actor, data: Mapping[str, Any], request) -> dict[str, Any]:
    """The application's fields from `data`, validated; ValidationError field by field."""
    errors: dict[str, str] = {}

    def take(field: str, fn):
        try:
            return fn()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, " ".join(messages))
            return None

    kind = take("kind", lambda: _choice(data.get("kind"), RequestKind, field="kind", label="Kind of data"))
    texts = {}
    for field, label, required, length in (
        ("investigation", "The investigation (operation or crime reference)", True, 200),
        ("identifier", "The number, account or device", True, 120),
        ("data_sought", "The data sought", True, TEXT_MAX),
        ("necessity", "The necessity statement", False, TEXT_MAX),
        ("proportionality", "The proportionality statement", False, TEXT_MAX),
        ("collateral_intrusion", "The collateral intrusion statement", False, TEXT_MAX),
    ):
        texts[field] = take(
            field,
            lambda field=field, label=label, required=required, length=length: _clean_text(
                data.get(field), field=field, label=label, required=required, max_length=length
            ),
        )
    if texts.get("data_sought") and CONTENT_WORDS.search(texts["data_sought"]):
        errors["data_sought"] = CONTENT_REFUSAL
    purpose = take(
        "statutory_purpose",
        lambda: _choice(data.get("statutory_purpose"), StatutoryPurpose, field="statutory_purpose", label="Purpose"),
    )
    category = take("category", lambda: _choice(data.get("category"), Category, field="category", label="Category"))
    urgency = take(
        "urgency", lambda: _choice(data.get("urgency") or Urgency.ROUTINE, Urgency, field="urgency", label="Urgency")
    )
    sensitive = take(
        "sensitive_profession",
        lambda: _choice(
            data.get("sensitive_profession"),
            SensitiveProfession,
            field="sensitive_profession",
            label="Sensitive profession",
            blank=True,
        ),
    )
    provider_value = data.get("provider")
    provider = None
    if provider_value not in (None, ""):
        lookup = {"pk": provider_value} if str(provider_value).isdigit() else {"code": str(provider_value)}
        provider = provider_agencies().filter(**lookup).first()
    if provider is None:
        errors["provider"] = "Choose the communications provider the request goes to."
    dates: dict[str, date | None] = {}
    for field, label in (
        ("date_from", "Start of the date range"),
        ("date_to", "End of the date range"),
        ("preservation_expires_on", "Preservation expiry"),
    ):
        value = data.get(field)
        if value in (None, ""):
            dates[field] = None
            continue
        parsed = value if isinstance(value, date) else _parse_date(value)
        if parsed is None:
            errors[field] = f"{label}: give a date as YYYY-MM-DD."
        dates[field] = parsed
    if dates.get("date_from") and dates.get("date_to") and dates["date_from"] > dates["date_to"]:  # type: ignore[operator]
        errors["date_to"] = "The date range ends before it starts."
    if urgency == Urgency.IMMEDIATE and category != Category.THREAT_TO_LIFE:
        errors["urgency"] = "Only a threat to life is immediate; choose urgent or routine."
    links = _links(actor=actor, data=data, errors=errors, request=request)
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "provider": provider,
        "statutory_purpose": purpose,
        "category": category,
        "urgency": urgency,
        "sensitive_profession": sensitive or "",
        "serious_crime_threshold": _truthy(data.get("serious_crime_threshold")),
        **{field: value for field, value in texts.items() if value is not None},
        **dates,
        **links,
    }


def _applicant_check(actor) -> None:
    if actor.role not in COMMS_APPLICANT_ROLES or actor.agency.kind != AgencyKind.POLICE_FORCE:
        raise PermissionDenied("Only analysts and investigating officers apply for communications data.")


@transaction.atomic
def request_create(*, actor, data: Mapping[str, Any], request=None) -> CommsRequest:
    """Open a draft application as `actor` (an analyst or investigating officer).

    `data` holds the application's fields (APPLICATION_FIELDS): `provider` an agency code or id
    of a communications provider, `case` a case id the actor can read, `nominal` a person's id,
    `deal_line` a line's id. Raises PermissionDenied for any other role and ValidationError
    (field by field) for bad input, including any request for the content of communications.
    """
    _applicant_check(actor)
    req = CommsRequest(
        reference=next_reference(), applicant=actor, **_application(actor=actor, data=data, request=request)
    )
    req.full_clean()
    req.save()
    CommsRequestTransition.objects.create(
        request=req, from_state="", to_state=RequestState.DRAFT, actor=actor, actor_label=actor.get_username()
    )
    record_access(action=AccessAction.CREATE, request=request, actor=actor, obj=req, reason="application drafted")
    return req


EDITABLE_STATES = frozenset({RequestState.DRAFT, RequestState.RETURNED})


@transaction.atomic
def request_update(*, actor, request_id: int, data: Mapping[str, Any], request=None) -> CommsRequest:
    """Amend a draft or returned application: its applicant only (404 for anyone who cannot see
    it, 403 for anyone else who can); ValidationError when it has gone to the SPoC or for bad
    input. The same checks as a new application."""
    req = request_get_for_user(user=actor, request_id=request_id, request=request, record=False)
    if req.applicant_id != actor.pk:
        _refused(actor=actor, req=req, reason="only the applicant amends an application", request=request)
        raise PermissionDenied("Only the applicant amends an application.")
    locked = CommsRequest.objects.select_for_update().get(pk=req.pk)
    if locked.state not in EDITABLE_STATES:
        _refused(actor=actor, req=req, reason=f"amend while {locked.state}", request=request)
        raise ValidationError(
            {
                "state": f"This application is at {locked.get_state_display().lower()}: only a draft or a returned one changes."
            }
        )
    for field, value in _application(actor=actor, data=data, request=request).items():
        setattr(locked, field, value)
    locked.full_clean()
    locked.save()
    record_access(action=AccessAction.UPDATE, request=request, actor=actor, obj=locked, reason="application amended")
    return locked


def _truthy(value: Any) -> bool:
    """A flag from JSON (true/false) or a form ("on", "true", "1"; absent or "" is false)."""
    if isinstance(value, str):
        return value.strip().lower() in {"on", "true", "1", "yes"}
    return bool(value)


def _parse_date(value: Any) -> date | None:
    from django.utils.dateparse import parse_date

    try:
        return parse_date(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _links(*, actor, data: Mapping[str, Any], errors: dict[str, str], request) -> dict[str, Any]:
    """The case, person and deal line an application names, each checked against what the
    applicant may see (a case they cannot read is "no such case", as everywhere)."""
    from portal.access import objects_for_user

    links: dict[str, Any] = {"case": None, "nominal": None, "deal_line": None}
    case_id = data.get("case")
    if case_id not in (None, ""):
        case = objects_for_user(actor, Case.objects.filter(pk=case_id)).first() if str(case_id).isdigit() else None
        if case is None:
            errors["case"] = "No such case is shared with you."
        links["case"] = case
    nominal_id = data.get("nominal")
    if nominal_id not in (None, ""):
        nominal = Nominal.objects.filter(pk=str(nominal_id)).first() if actor.role == Role.ANALYST else None
        if nominal is None and links["case"] is not None and links["case"].nominal_id == str(nominal_id):
            nominal = links["case"].nominal
        if nominal is None:
            errors["nominal"] = "No such person in the police records you can use."
        links["nominal"] = nominal
    line_id = data.get("deal_line")
    if line_id not in (None, ""):
        line = DealLine.objects.filter(pk=line_id).first() if str(line_id).isdigit() else None
        if line is None:
            errors["deal_line"] = "No such deal line."
        links["deal_line"] = line
    return links


# --- urgent authorisation confirmed by the OCDA --------------------------------------------------


@transaction.atomic
def urgent_authorisation_confirm(
    *, actor, request_id: int, reference: str, decided_on: date, request=None
) -> CommsRequest:
    """Record that the OCDA confirmed an urgent internal authorisation (a SPoC's entry), so it no
    longer lapses. ValidationError when there is nothing to confirm."""
    req = request_get_for_user(user=actor, request_id=request_id, request=request, record=False)
    if actor.role != Role.SPOC:
        _refused(actor=actor, req=req, reason="only a SPoC records the OCDA's confirmation", request=request)
        raise PermissionDenied("Only a SPoC records the OCDA's confirmation.")
    locked = CommsRequest.objects.select_for_update().get(pk=req.pk)
    if locked.authorisation_route != "urgent" or locked.urgent_confirmed_at is not None or not locked.is_open:
        raise ValidationError({"reference": "This request has no unconfirmed urgent authorisation."})
    reference = _clean_text(reference, field="reference", label="The OCDA reference", required=True, max_length=60)
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": "The confirmation date is in the future."})
    locked.urgent_confirmed_at = timezone.now()
    locked.authorisation_reference = reference
    locked.save(update_fields=["urgent_confirmed_at", "authorisation_reference"])
    record_access(
        action=AccessAction.UPDATE,
        request=request,
        actor=actor,
        obj=locked,
        reason=f"urgent authorisation confirmed by the OCDA ({reference}, {decided_on.isoformat()})",
    )
    return locked


def _refused(*, actor, req: CommsRequest, reason: str, request) -> None:
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=actor,
        object_type=REQUEST_TYPE,
        object_id=str(req.pk),
        reason=reason,
    )


# --- providers' responses -------------------------------------------------------------------------

# content type by extension; each is checked against what the bytes are.
RESPONSE_TYPES = {
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
}


def sniff(head: bytes) -> str | None:
    """What the first bytes of a file are: "pdf", "zip", "text" (UTF-8 without NUL or other
    control characters but tab, CR, LF) or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 3:
            return None
        text = head[: error.start].decode("utf-8")
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text):
        return None
    return "text"


EXPECTED_KIND = {".csv": "text", ".txt": "text", ".pdf": "pdf", ".zip": "zip"}


def provider_response_upload(*, actor, request_id: int, upload, request=None) -> ProviderResponse:
    """Store a provider's response to request `request_id`: the actor's company's, while it is
    acknowledged. The file must be CSV, plain text, PDF or ZIP by its content as well as its name,
    and at most SPOC_RESPONSE_MAX_BYTES (20 MiB unless set). Kept with its SHA-256 under
    MEDIA_ROOT/private/, a folder no URL serves. Raises Http404, PermissionDenied or
    ValidationError; nothing is stored on a refusal."""
    req = request_get_for_user(user=actor, request_id=request_id, request=request, record=False)
    if actor.role != Role.PROVIDER_SPOC or req.provider_id != actor.agency_id:
        _refused(actor=actor, req=req, reason="only the addressed provider uploads a response", request=request)
        raise PermissionDenied("Only the provider the request was sent to uploads its response.")
    if req.state != RequestState.ACKNOWLEDGED:
        _refused(actor=actor, req=req, reason=f"response upload while {req.state}", request=request)
        raise ValidationError({"file": "Acknowledge the request before uploading its response."})
    name = Path(str(getattr(upload, "name", "") or "")).name[:200]
    extension = Path(name).suffix.lower()
    if extension not in RESPONSE_TYPES:
        raise ValidationError({"file": "Upload a CSV, PDF, ZIP or plain-text (.txt) file."})
    limit = _response_limit()
    size = upload.size
    if size is None or size > limit:
        raise ValidationError({"file": f"The file is larger than the {limit / 1024 / 1024:g} MiB allowed."})
    if size == 0:
        raise ValidationError({"file": "The file is empty."})
    upload.seek(0)
    head = upload.read(4096)
    if sniff(head) != EXPECTED_KIND[extension]:
        raise ValidationError(
            {"file": f"The file's content is not a {extension[1:].upper()} file; upload the file the name says it is."}
        )
    upload.seek(0)
    digest = hashlib.sha256()
    folder = responses_root()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored_name = secrets.token_hex(16)
    target = folder / stored_name
    written = 0
    try:
        with target.open("xb") as out:
            for chunk in upload.chunks():
                written += len(chunk)
                if written > limit:
                    raise ValidationError({"file": f"The file is larger than the {limit / 1024 / 1024:g} MiB allowed."})
                digest.update(chunk)
                out.write(chunk)
        target.chmod(0o600)
        with transaction.atomic():
            response = ProviderResponse.objects.create(
                request=req,
                original_name=name,
                stored_name=stored_name,
                content_type=RESPONSE_TYPES[extension],
                size=written,
                sha256=digest.hexdigest(),
                uploaded_by=actor,
            )
            record_access(
                action=AccessAction.CREATE,
                request=request,
                actor=actor,
                obj=response,
                reason=f"response uploaded for {req.reference}",
                detail={"request": req.pk, "sha256": response.sha256, "size": written},
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return response


def response_path(response: ProviderResponse) -> Path:
    return responses_root() / response.stored_name


def response_verify(response: ProviderResponse) -> bool:
    """True when the stored file still has the SHA-256 recorded at upload."""
    digest = hashlib.sha256()
    with response_path(response).open("rb") as stored:
        for block in iter(lambda: stored.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest() == response.sha256


# --- errors ---------------------------------------------------------------------------------------

ERROR_RECORDERS = frozenset({Role.SPOC, Role.SENIOR_RESPONSIBLE_OFFICER})


@transaction.atomic
def error_record(*, actor, request_id: int, kind: str, description: str, request=None) -> CommsError:
    req = request_get_for_user(user=actor, request_id=request_id, request=request, record=False)
    if actor.role not in ERROR_RECORDERS:
        _refused(actor=actor, req=req, reason="role may not record errors", request=request)
        raise PermissionDenied("Only a SPoC or the senior responsible officer records an error.")
    kind = _choice(kind, ErrorKind, field="kind", label="Kind of error")
    description = _clean_text(description, field="description", label="What went wrong", required=True)
    error = CommsError.objects.create(request=req, kind=kind, description=description, recorded_by=actor)
    record_access(action=AccessAction.CREATE, request=request, actor=actor, obj=error, reason=f"{kind} error recorded")
    return error


@transaction.atomic
def error_review(
    *, actor, error_id: int, review: str, reported_to_ipc_on: date | None = None, request=None
) -> CommsError:
    """The senior responsible officer's review of an error (and, for a reportable one, the date
    it went to the Investigatory Powers Commissioner)."""
    if actor.role != Role.SENIOR_RESPONSIBLE_OFFICER:
        raise PermissionDenied("Only the senior responsible officer reviews errors.")
    error = CommsError.objects.select_for_update().filter(pk=error_id).first()
    if error is None:
        raise ValidationError({"error": "No such error."})
    review = _clean_text(review, field="review", label="The review", required=True)
    if error.kind == ErrorKind.REPORTABLE and reported_to_ipc_on is None:
        raise ValidationError({"reported_to_ipc_on": "Give the date the error was reported to the Commissioner."})
    if reported_to_ipc_on is not None and reported_to_ipc_on > timezone.localdate():
        raise ValidationError({"reported_to_ipc_on": "That date is in the future."})
    error.sro_review = review
    error.reviewed_by = actor
    error.reviewed_at = timezone.now()
    error.reported_to_ipc_on = reported_to_ipc_on
    error.save()
    record_access(action=AccessAction.UPDATE, request=request, actor=actor, obj=error, reason="error reviewed")
    return error


# --- deal lines -----------------------------------------------------------------------------------

LINE_EDITORS = frozenset({Role.SPOC, Role.ANALYST, Role.INTELLIGENCE_SUPERVISOR})
NUMBER = re.compile(r"^\+?[0-9][0-9 ]{6,18}[0-9]$")


def digits(number: str) -> str:
    """A UK number's digits in national form: +44 7700 900123 → 07700900123."""
    plain = re.sub(r"\D", "", number)
    return "0" + plain[2:] if plain.startswith("44") else plain


def risk_score(line: DealLine) -> int:
    """The line's risk score, 0-100, from the assessment factors of the source method (section
    3.1: children known to be exploited, firearms capability, missing episodes of linked
    children, looked-after children, the number and ages of runners, violence, a known OCG):

        score = min(100,
              10 × min(children exploited, 3)
            + 15 × firearms
            +  3 × min(missing episodes, 5)
            +  5 × min(looked-after children, 2)
            +  2 × min(runners, 5)
            + 10 × (youngest runner under 16) + 5 × (youngest runner 16 or 17)
            +  5 × violence level (0 none, 1 threats, 2 assaults, 3 serious violence)
            + 10 × known OCG)

    Each factor is capped so that no single one decides the rank; the harm to children carries
    the most weight, as the method prioritises "the greatest risk to the vulnerable".
    """
    young = line.youngest_runner_age
    score = (
        10 * min(line.children_exploited, 3)
        + 15 * int(line.firearms)
        + 3 * min(line.missing_episodes, 5)
        + 5 * min(line.looked_after_children, 2)
        + 2 * min(line.runners, 5)
        + (10 if young is not None and young < 16 else 5 if young is not None and young < 18 else 0)
        + 5 * int(line.violence)
        + 10 * int(line.known_ocg)
    )
    return min(100, score)


LINE_FIELDS = (
    "number",
    "line_name",
    "origin_force",
    "areas_supplied",
    "identified_on",
    "children_exploited",
    "firearms",
    "missing_episodes",
    "looked_after_children",
    "runners",
    "youngest_runner_age",
    "violence",
    "known_ocg",
)


def _line_apply(line: DealLine, data: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    number = str(data.get("number", line.number) or "").strip()
    if not NUMBER.match(number):
        errors["number"] = "Give the number as dialled, digits and spaces only, e.g. 07700 900123."
    line.number = number
    line.number_digits = digits(number)
    for field in ("line_name", "origin_force", "areas_supplied"):
        if field in data:
            setattr(line, field, str(data[field] or "").strip())
    if not line.line_name:
        errors["line_name"] = "Give the name the line is known by."
    for field in ("children_exploited", "missing_episodes", "looked_after_children", "runners"):
        if field in data:
            value = data[field]
            if isinstance(value, bool) or not str(value).isdigit():
                errors[field] = "Give a whole number, 0 or more."
            else:
                setattr(line, field, int(value))
    if "youngest_runner_age" in data:
        value = data["youngest_runner_age"]
        if value in (None, ""):
            line.youngest_runner_age = None
        elif isinstance(value, bool) or not str(value).isdigit() or not 8 <= int(value) <= 99:
            errors["youngest_runner_age"] = "Give an age from 8 to 99, or leave it empty."
        else:
            line.youngest_runner_age = int(value)
    if "violence" in data:
        value = data["violence"]
        if isinstance(value, bool) or str(value) not in {str(v) for v in Violence.values}:
            errors["violence"] = "Choose a violence level: 0 none, 1 threats, 2 assaults, 3 serious violence."
        else:
            line.violence = int(value)
    for field in ("firearms", "known_ocg"):
        if field in data:
            setattr(line, field, _truthy(data[field]))
    if "identified_on" in data and data["identified_on"] not in (None, ""):
        value = data["identified_on"]
        parsed = value if isinstance(value, date) else _parse_date(value)
        if parsed is None:
            errors["identified_on"] = "Give a date as YYYY-MM-DD."
        else:
            line.identified_on = parsed
    if (
        DealLine.objects.filter(number_digits=line.number_digits).exclude(pk=line.pk).exists()
        and "number" not in errors
    ):
        errors["number"] = "That number is already in the register."
    if errors:
        raise ValidationError(errors)
    line.risk_score = risk_score(line)
    line.full_clean(exclude=["created_by", "people", "cases"])


@transaction.atomic
def deal_line_create(
    *, actor, data: Mapping[str, Any], people: Iterable[Nominal] = (), cases: Iterable[Case] = (), request=None
) -> DealLine:
    if actor.role not in LINE_EDITORS or actor.agency.kind != AgencyKind.POLICE_FORCE:
        raise PermissionDenied("Analysts, intelligence supervisors and SPoCs keep the deal-line register.")
    line = DealLine(created_by=actor)
    _line_apply(line, data)
    line.save()
    if people:
        line.people.set(list(people))
    if cases:
        line.cases.set(list(cases))
    record_access(action=AccessAction.CREATE, request=request, actor=actor, obj=line, reason="deal line registered")
    return line


@transaction.atomic
def deal_line_update(*, actor, line: DealLine, data: Mapping[str, Any], request=None) -> DealLine:
    if actor.role not in LINE_EDITORS:
        raise PermissionDenied("Analysts, intelligence supervisors and SPoCs keep the deal-line register.")
    locked = DealLine.objects.select_for_update().get(pk=line.pk)
    _line_apply(locked, data)
    locked.save()
    record_access(action=AccessAction.UPDATE, request=request, actor=actor, obj=locked, reason="deal line assessed")
    return locked


@transaction.atomic
def deal_line_status_set(*, actor, line: DealLine, status: str, on: date | None = None, request=None) -> DealLine:
    """Mark a line active, disrupted or closed, with the date (today unless given)."""
    if actor.role not in LINE_EDITORS:
        raise PermissionDenied("Analysts, intelligence supervisors and SPoCs keep the deal-line register.")
    status = _choice(status, DealLineStatus, field="status", label="Status")
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": "That date is in the future."})
    locked = DealLine.objects.select_for_update().get(pk=line.pk)
    if locked.status == status:
        return locked
    previous = locked.status
    locked.status = status
    if status == DealLineStatus.DISRUPTED:
        locked.disrupted_on = on
    elif status == DealLineStatus.CLOSED:
        locked.closed_on = on
    else:
        locked.disrupted_on = locked.closed_on = None
    locked.save()
    record_access(
        action=AccessAction.UPDATE,
        request=request,
        actor=actor,
        obj=locked,
        reason=f"status {previous} → {status} on {on.isoformat()}",
    )
    return locked


@transaction.atomic
def deal_line_link(
    *, actor, line: DealLine, nominals: Iterable[Nominal] = (), cases: Iterable[Case] = (), request=None
) -> DealLine:
    if actor.role not in LINE_EDITORS:
        raise PermissionDenied("Analysts, intelligence supervisors and SPoCs keep the deal-line register.")
    nominals, cases = list(nominals), list(cases)
    if nominals:
        line.people.add(*nominals)
    if cases:
        line.cases.add(*cases)
    record_access(
        action=AccessAction.UPDATE,
        request=request,
        actor=actor,
        obj=line,
        reason="people and cases linked",
        shown=[*nominals, *cases],
    )
    return line
