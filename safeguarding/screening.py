"""The Exploitation Screening Tool: indicators of child criminal exploitation, each answered yes
or no, scored, and a suggested level of risk.

The indicators follow the published screening tools of the West Midlands and national guidance
(Home Office county lines guidance: missing episodes, found out of area, unexplained money or
phones, older associates, arrests for drugs or weapons away from home...). Each has a weight;
the total suggests a level, which the practitioner may override with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from .models import RiskLevel


@dataclass(frozen=True)
class Indicator:
    code: str
    question: str
    weight: int


INDICATORS = (
    Indicator("missing_episodes", "Repeated missing episodes, or missing overnight", 3),
    Indicator("found_out_of_area", "Found or arrested out of their home area", 3),
    Indicator("unexplained_money", "Unexplained money, clothes, phones or gifts", 2),
    Indicator("multiple_phones", "More than one phone, or a phone receiving many calls or messages", 2),
    Indicator("older_associates", "Associating with older people or known gang members", 2),
    Indicator("drug_or_weapon_arrest", "Arrested with drugs or a weapon", 3),
    Indicator("injuries", "Unexplained injuries, or signs of assault", 2),
    Indicator("education_disengagement", "Excluded, absent or disengaged from education", 1),
    Indicator("substance_misuse", "Using drugs or alcohol", 1),
    Indicator("fear_or_threats", "Fearful, threatened, or in debt to someone (debt bondage)", 3),
    Indicator("cuckooed_address", "Linked to an address taken over for dealing (cuckooing)", 2),
    Indicator("online_grooming", "Contacted online or on social media by people pressing them to deal", 1),
)
BY_CODE = {indicator.code: indicator for indicator in INDICATORS}
MAXIMUM_SCORE = sum(indicator.weight for indicator in INDICATORS)
HIGH_FROM = 10
MEDIUM_FROM = 5


def suggested_level(score: int) -> str:
    if score >= HIGH_FROM:
        return RiskLevel.HIGH
    if score >= MEDIUM_FROM:
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


def score_answers(answers: object) -> tuple[int, str]:
    """(score, suggested level) for a complete set of answers {code: true/false}.

    Every indicator must be answered: an unanswered question is not a "no".
    """
    if not isinstance(answers, Mapping):
        raise ValidationError({"answers": "Answer every screening question yes or no."})
    unknown = sorted(set(answers) - set(BY_CODE))
    missing = [indicator.question for indicator in INDICATORS if indicator.code not in answers]
    problems = []
    if unknown:
        problems.append(f"Unknown question(s): {', '.join(unknown)}.")
    if missing:
        problems.append(f"Unanswered: {'; '.join(missing)}.")
    not_boolean = [code for code, value in answers.items() if code in BY_CODE and not isinstance(value, bool)]
    if not_boolean:
        problems.append(f"Answer yes or no (true/false): {', '.join(sorted(not_boolean))}.")
    if problems:
        raise ValidationError({"answers": " ".join(problems)})
    score = sum(BY_CODE[code].weight for code, value in answers.items() if value)
    return score, suggested_level(score)
