"""Pure appointment rules shared by the server (to enforce) and the client (to enable controls).

Nothing here imports Qt, FastAPI or a database: these are plain values and functions.
"""

from apptdesk.domain.limits import Limits
from apptdesk.domain.rules import (
    Action,
    Decision,
    Outcome,
    Relation,
    allowed_actions,
    decide,
    patch_action,
    relation_of,
)
from apptdesk.domain.status import FINAL_STATUSES, AppointmentStatus, Role

__all__ = [
    "FINAL_STATUSES",
    "Action",
    "AppointmentStatus",
    "Decision",
    "Limits",
    "Outcome",
    "Relation",
    "Role",
    "allowed_actions",
    "decide",
    "patch_action",
    "relation_of",
]
