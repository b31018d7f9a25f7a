"""Every model module, imported explicitly so Alembic and the app see one metadata."""

from .api_auth.models import ApiToken
from .audit.models import AuditLog
from .auth.models import ActivationToken, LoginAttempt, Role, User
from .certificates.models import Certificate
from .confirmations import UsedConfirmation
from .consultations.models import Consultation, ConsultationMessage
from .credit_reports.models import CreditReportRequest
from .districts.models import AccountManager, District, ManagerContact, district_managers
from .enterprises.models import Enterprise
from .heartbeat import NotifierHeartbeat
from .losses.models import LossAttachment, LossEvent, LossInvoice, LossReport
from .notices.models import RiskNotice
from .outbox.models import OutboxMessage, OutboxStatus
from .policies.models import Policy, PolicyStatus
from .programmes.models import ExcludedCountry, Programme
from .roster.models import (
    EntryStatus,
    ImportJob,
    Objection,
    ObjectionStatus,
    Roster,
    RosterEntry,
    RosterStatus,
)
from .shortlinks.models import ShortLink
from .storage.models import StoredFile
from .tasks.models import Task
from .workdays.models import CalendarDay

__all__ = [
    "CalendarDay",
    "ShortLink",
    "UsedConfirmation",
    "Consultation",
    "ConsultationMessage",
    "NotifierHeartbeat",
    "Task",
    "StoredFile",
    "AccountManager",
    "ActivationToken",
    "ApiToken",
    "AuditLog",
    "Certificate",
    "CreditReportRequest",
    "District",
    "Enterprise",
    "EntryStatus",
    "ExcludedCountry",
    "ImportJob",
    "LoginAttempt",
    "LossAttachment",
    "LossEvent",
    "LossInvoice",
    "LossReport",
    "ManagerContact",
    "Objection",
    "ObjectionStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Policy",
    "PolicyStatus",
    "Programme",
    "RiskNotice",
    "Role",
    "Roster",
    "RosterEntry",
    "RosterStatus",
    "User",
    "district_managers",
]
