"""The cover-period rule (DOMAIN.md, Policy claim and certificate), decided in Shanghai dates.

Pure functions of the Programme row and an instant: no database, no clock of their own."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ..clock import shanghai_date
from ..programmes.models import Programme

# verification codes: no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V look-alikes — easy to read off paper
VERIFY_ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
VERIFY_LENGTH = 18  # 23^18 ≈ 2^81: unguessable
POLICY_NO_DIGITS = 6


@dataclass(frozen=True)
class ClaimTerms:
    """What claiming at a given instant gives: whole cover, cover from the issue date, or nothing."""

    phase: str  # before_deadline | late | closed
    on_time: bool
    cover_start: date | None  # None: from the issue date (late claim)
    cover_end: date
    expected_issue_by: date | None  # late claims: the date the lag promises issuance by

    @property
    def open(self) -> bool:
        return self.phase != "closed"


def claim_terms(programme: Programme, moment: datetime) -> ClaimTerms:
    """Claim on or before the claim deadline (Shanghai date) → the whole programme cover; after
    it and up to the cover end → cover from the issue date; after the cover end → closed."""
    today = shanghai_date(moment)
    if today <= programme.claim_deadline:
        return ClaimTerms("before_deadline", True, programme.cover_start, programme.cover_end, None)
    if today <= programme.cover_end:
        return ClaimTerms("late", False, None, programme.cover_end, expected_issue_by(programme, moment))
    return ClaimTerms("closed", False, None, programme.cover_end, None)


def expected_issue_by(programme: Programme, claimed_at: datetime) -> date:
    """A claim is normally issued within the programme's issuance lag (never after the cover end)."""
    return min(shanghai_date(claimed_at) + timedelta(days=programme.issuance_lag_days), programme.cover_end)


def cover_on_issue(programme: Programme, *, claimed_on_time: bool, issued_at: datetime) -> tuple[date, date]:
    """The cover fixed at issuance: the whole period for an on-time claim whenever issued;
    from the issue date (never before the programme's cover start) for a late one."""
    if claimed_on_time:
        return programme.cover_start, programme.cover_end
    return max(shanghai_date(issued_at), programme.cover_start), programme.cover_end


def can_issue_on(programme: Programme, issued_at: datetime) -> bool:
    """No policy is issued once the cover period has ended: its cover would be empty."""
    return shanghai_date(issued_at) <= programme.cover_end


def cover_ended(programme: Programme, moment: datetime) -> bool:
    """The programme's cover period is over (Shanghai date): an unissued claim lapses."""
    return shanghai_date(moment) > programme.cover_end


def must_alert_at_once(programme: Programme, claimed_at: datetime) -> bool:
    """The usual alert (a claim waiting longer than the issuance lag) would come on the last day of
    cover or later: too late to issue in time, so the insurer is alerted at once."""
    return shanghai_date(claimed_at) + timedelta(days=programme.issuance_lag_days + 1) >= programme.cover_end


def days_waiting(claimed_at: datetime, moment: datetime) -> int:
    """Calendar days (Shanghai) since the claim."""
    return (shanghai_date(moment) - shanghai_date(claimed_at)).days


def is_overdue(programme: Programme, claimed_at: datetime, moment: datetime) -> bool:
    """Waiting longer than the programme's issuance lag."""
    return days_waiting(claimed_at, moment) > programme.issuance_lag_days


def policy_prefix(programme: Programme) -> str:
    return f"TB{programme.year}-SZ-"


def policy_number(programme: Programme, sequence: int) -> str:
    """TB2024-SZ-000123: sequential per programme."""
    return f"{policy_prefix(programme)}{sequence:0{POLICY_NO_DIGITS}d}"


def sequence_of(policy_no: str | None, programme: Programme) -> int:
    prefix = policy_prefix(programme)
    if not policy_no or not policy_no.startswith(prefix):
        return 0
    tail = policy_no[len(prefix) :]
    return int(tail) if tail.isdigit() else 0


def new_verify_code() -> str:
    return "".join(secrets.choice(VERIFY_ALPHABET) for _ in range(VERIFY_LENGTH))
