"""ORM models, one module per aggregate. Importing this package registers them all."""

from tableside.models.audit import AuditEntry
from tableside.models.auth import ActionToken, ActionTokenPurpose, ApiKey, AuthSession, RefreshToken
from tableside.models.business import Business, BusinessType, Location, LocationType
from tableside.models.idempotency import IdempotencyRecord
from tableside.models.job import Job, JobStatus
from tableside.models.user import Invitation, KitchenProfile, Role, User

__all__ = [
    "ActionToken",
    "ActionTokenPurpose",
    "ApiKey",
    "AuditEntry",
    "AuthSession",
    "Business",
    "BusinessType",
    "IdempotencyRecord",
    "Invitation",
    "Job",
    "JobStatus",
    "KitchenProfile",
    "Location",
    "LocationType",
    "RefreshToken",
    "Role",
    "User",
]
