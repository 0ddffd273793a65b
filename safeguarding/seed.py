"""Reference data of the pathway, as plain data so the seeding migration can use it: the SOCEx
hubs and the local authorities each covers (editable afterwards in the admin site), and the
managed list of the Home Office Child Exploitation Disruption Toolkit's tactics."""

from __future__ import annotations

# name, code, local authority codes covered
HUBS = [
    ("Birmingham SOCEx hub", "birmingham-hub", ("birmingham", "solihull")),
    ("Coventry SOCEx hub", "coventry-hub", ("coventry", "walsall")),
    ("Wolverhampton SOCEx hub", "wolverhampton-hub", ("wolverhampton", "dudley", "sandwell")),
]

# code, name
DISRUPTION_TACTICS = [
    ("child-abduction-warning-notice", "Child abduction warning notice"),
    ("slavery-trafficking-risk-order", "Slavery and trafficking risk order"),
    ("slavery-trafficking-prevention-order", "Slavery and trafficking prevention order"),
    ("community-protection-notice", "Community protection notice"),
    ("nrm-referral", "National Referral Mechanism referral"),
    ("child-abduction-act-s2", "Section 2 Child Abduction Act 1984 offence"),
    ("closure-order", "Closure order for a cuckooed address"),
    ("gang-injunction", "Gang injunction (Policing and Crime Act 2009)"),
    ("criminal-behaviour-order", "Criminal behaviour order"),
    ("licensed-premises-review", "Review of a licensed premises"),
    ("taxi-licensing-referral", "Referral to taxi licensing"),
    ("school-transfer-or-support", "Education: managed move, mentoring or support plan"),
    ("youth-worker-mentoring", "Youth worker or peer mentor (lived experience)"),
    ("phone-seizure-and-disconnection", "Seizure of deal-line phones and disconnection requests"),
    ("inform-parents-carers", "Information and support for parents and carers"),
]
