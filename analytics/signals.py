"""What the analysis tells the rest of the portal."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that makes a run SUCCEEDED, with `run`: whatever a receiver writes
# commits with the results or not at all (safeguarding opens the children's cases from it).
run_succeeded = Signal()
