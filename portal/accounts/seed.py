"""The partnership's agencies: the force, the seven West Midlands local authorities and the
partners who sit with them. Names other than the force and the local authorities are generic
placeholders for this synthetic deployment.

Plain data, so the seeding migration can use it as well as the services.
"""

from __future__ import annotations

# name, code, kind
AGENCIES = [
    ("West Midlands Police", "wmp", "police_force"),
    ("Birmingham City Council", "birmingham", "local_authority"),
    ("Coventry City Council", "coventry", "local_authority"),
    ("Dudley Metropolitan Borough Council", "dudley", "local_authority"),
    ("Sandwell Metropolitan Borough Council", "sandwell", "local_authority"),
    ("Solihull Metropolitan Borough Council", "solihull", "local_authority"),
    ("Walsall Metropolitan Borough Council", "walsall", "local_authority"),
    ("City of Wolverhampton Council", "wolverhampton", "local_authority"),
    ("Community Health Trust (synthetic)", "health", "health"),
    ("Schools Safeguarding Service (synthetic)", "education", "education"),
    ("Children's Exploitation Charity (synthetic)", "charity", "charity"),
    ("Youth Offending Service (synthetic)", "youth-offending", "youth_offending"),
    ("Northmoor Mobile (synthetic provider)", "provider-northmoor", "communications_provider"),
]
