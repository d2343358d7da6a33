"""Who belongs where, and which seats each unit holds.

Models hold data and constraints only; apportionment and weights are computed in
``asamblea.rules`` and applied by ``actions.py``. Constraints the system relies on are in the
database, not only in Python:

- one open membership per member (a member belongs to one organisation);
- one holder per seat at a time;
- a frozen roll and its entries can never change (triggers; see migrations).
"""

from __future__ import annotations

import base64
import secrets
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.db.models import Q

BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


def new_public_id() -> str:
    """80 random bits as 16 base32 characters: unguessable and not derived from anything."""
    # 10 random bytes are exactly 16 base32 characters (no padding), in the BASE32 alphabet.
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


class Organisation(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    # Rule settings in force (recall threshold, quorum defaults, mandate mode...). Every default is
    # ours, not a statute's; the setting in force is written on the record with each result.
    settings = models.JSONField(default=dict, blank=True)
    # How pages show this organisation: times in its IANA time zone (stored and recorded in UTC
    # always), and the language a member who chose none sees before their browser's.
    time_zone = models.CharField(max_length=64, default="UTC", db_default="UTC")
    language = models.CharField(max_length=10, blank=True, default="", db_default="")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class Body(models.Model):
    class Kind(models.TextChoices):
        WORKPLACE = "workplace", "workplace"
        NEIGHBOURHOOD = "neighbourhood", "neighbourhood"
        PEASANT_COMMUNITY = "peasant_community", "peasant community"
        STUDENT_BODY = "student_body", "student body"
        OTHER_UNIT = "other_unit", "other base unit"
        ASSEMBLY = "assembly", "assembly"
        COMMITTEE = "committee", "committee"

    BASE_UNIT_KINDS = frozenset(
        {
            Kind.WORKPLACE,
            Kind.NEIGHBOURHOOD,
            Kind.PEASANT_COMMUNITY,
            Kind.STUDENT_BODY,
            Kind.OTHER_UNIT,
        }
    )

    class VotingRule(models.TextChoices):
        ONE_DELEGATE_ONE_VOTE = "one_delegate_one_vote", "one delegate, one vote"
        WEIGHTED = "weighted", "weighted by members represented"

    class SeatRule(models.TextChoices):
        PER_N = "per_n", "one seat per N members, with a minimum"
        LARGEST_REMAINDER = "largest_remainder", "largest remainder over a fixed house size"
        FIXED = "fixed", "a fixed number of seats per sending body"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="bodies")
    code = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # For assemblies: "regional", "macro-regional", "national", or any level the organisation uses.
    level = models.CharField(max_length=50, blank=True)
    region = models.CharField(max_length=100, blank=True)
    # How the seats of this body are apportioned among the bodies that send delegates to it.
    seat_rule = models.CharField(max_length=30, choices=SeatRule.choices, default=SeatRule.PER_N)
    house_size = models.PositiveIntegerField(null=True, blank=True)
    voting_rule = models.CharField(
        max_length=30, choices=VotingRule.choices, default=VotingRule.ONE_DELEGATE_ONE_VOTE
    )
    created_at = models.DateTimeField()
    dissolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="body_code_unique_per_org"
            ),
            models.CheckConstraint(
                condition=~Q(seat_rule="largest_remainder") | Q(house_size__gt=0),
                name="body_largest_remainder_needs_house_size",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_base_unit(self) -> bool:
        return self.kind in self.BASE_UNIT_KINDS


class SeatLink(models.Model):
    """``sender`` sends delegates to ``receiver``. A committee may have links from many bodies."""

    sender = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="links_out")
    receiver = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="links_in")
    # PER_N: one seat per ``members_per_seat`` members of the frozen roll, at least ``minimum_seats``.
    members_per_seat = models.PositiveIntegerField(null=True, blank=True)
    minimum_seats = models.PositiveIntegerField(default=1)
    # FIXED: exactly this many seats.
    fixed_seats = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "receiver"], name="seatlink_unique_pair"),
            models.CheckConstraint(
                condition=~Q(sender=models.F("receiver")), name="seatlink_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.receiver}"


class Member(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="members")
    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    member_ref = models.CharField(max_length=64)
    display_name = models.CharField(max_length=200)
    # Only the contact fields needed to reach a member; both optional.
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    # The language the member chose on the site (empty: the organisation's, then the browser's).
    language = models.CharField(max_length=10, blank=True, default="", db_default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "member_ref"], name="member_ref_unique_per_org"
            )
        ]

    def __str__(self) -> str:
        return self.display_name


class Membership(models.Model):
    class EndReason(models.TextChoices):
        LEFT = "left", "left"
        TRANSFERRED = "transferred", "transferred"
        EXPELLED = "expelled", "expelled"
        UNIT_DISSOLVED = "unit_dissolved", "unit dissolved"
        DIED = "died", "died"

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="memberships")
    unit = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="memberships")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    transferred_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="transferred_from"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(left_on__isnull=True),
                name="one_open_membership_per_member",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="membership_leaves_after_joining",
            ),
        ]
        indexes = [models.Index(fields=["unit", "left_on"])]

    def __str__(self) -> str:
        return f"{self.member} in {self.unit} from {self.joined_on}"


class Roll(models.Model):
    """The members eligible in a unit, frozen at a moment. Immutable once written.

    Published only as its size and a hiding commitment (Merkle root over H(salt || public_id)),
    never as a list of members. ``salt`` is secret and never leaves the server.
    """

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="rolls")
    frozen_at = models.DateTimeField()
    purpose = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField()
    salt = models.CharField(max_length=64, editable=False)
    commitment = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["body", "-frozen_at"])]

    def __str__(self) -> str:
        return f"roll of {self.body} frozen {self.frozen_at:%Y-%m-%d %H:%M}Z ({self.size})"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("a frozen roll is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("a frozen roll is immutable")


class RollEntry(models.Model):
    roll = models.ForeignKey(Roll, on_delete=models.PROTECT, related_name="entries")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="roll_entries")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["roll", "member"], name="rollentry_unique_member")
        ]

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("a frozen roll is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValueError("a frozen roll is immutable")


class Apportionment(models.Model):
    """The seats a body has, computed by its seat rule from the sending bodies' frozen rolls."""

    receiver = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="apportionments")
    computed_at = models.DateTimeField()
    rule = models.CharField(max_length=30, choices=Body.SeatRule.choices)
    house_size = models.PositiveIntegerField(null=True, blank=True)
    total_seats = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    # The lot's seed and the ties it broke (largest remainder), published with the apportionment.
    seed = models.CharField(max_length=200, blank=True)
    draws = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["receiver"], condition=Q(is_current=True), name="one_current_apportionment"
            )
        ]


class Allocation(models.Model):
    """One sending body's share in an apportionment, and the population it was computed from."""

    apportionment = models.ForeignKey(
        Apportionment, on_delete=models.CASCADE, related_name="allocations"
    )
    sender = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="allocations")
    # The frozen roll it was computed from (base units); None for a body whose population is the
    # sum of those it represents (an assembly sending to a committee).
    roll = models.ForeignKey(
        Roll, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    population = models.PositiveIntegerField()
    seats = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["apportionment", "sender"], name="allocation_unique_sender"
            )
        ]

    @property
    def weight_per_seat(self) -> Fraction:
        """Members represented by each of this sender's seats (exact)."""
        return Fraction(self.population, self.seats) if self.seats else Fraction(0)


class Seat(models.Model):
    """Seat ``number`` of ``unit``'s delegation to ``body``. Abolished seats keep their history."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="seats")
    unit = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="seats_held")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    abolished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["body", "unit", "number"], name="seat_unique_number")
        ]
        ordering = ["body_id", "unit_id", "number"]

    def __str__(self) -> str:
        return f"{self.unit} seat {self.number} in {self.body}"


class Mandate(models.Model):
    """One member holding one seat, from ``started_at`` until ``ended_at``."""

    class EndReason(models.TextChoices):
        RECALLED = "recalled", "recalled"
        RESIGNED = "resigned", "resigned"
        TERM_ENDED = "term_ended", "term ended"
        UNIT_DISSOLVED = "unit_dissolved", "unit dissolved"
        SEAT_ABOLISHED = "seat_abolished", "seat abolished"

    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="mandates")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="mandates")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    # What gave the mandate: "election:<id>", "succession:<mandate id>", "demo", "import".
    source = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["seat"], condition=Q(ended_at__isnull=True), name="one_holder_per_seat"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="mandate_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["member", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.member} holds {self.seat}"


class Alternate(models.Model):
    """Next in line for ``unit``'s seats in ``body``, in ``position`` order (1 first)."""

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="alternates")
    unit = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="alternates_for")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="alternate_for")
    position = models.PositiveIntegerField()
    source = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    # Set when the alternate took a seat, withdrew or was replaced by a new election.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["body_id", "unit_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "unit", "position"],
                condition=Q(used_at__isnull=True),
                name="alternate_unique_position",
            )
        ]


class OfficerRole(models.Model):
    """A user's office in an organisation, optionally limited to one body."""

    class Role(models.TextChoices):
        REGISTRAR = "registrar", "registrar"
        ELECTION_OFFICER = "election_officer", "election officer"
        TELLER = "teller", "teller"
        CHAIR = "chair", "chair"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="offices"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="officers"
    )
    body = models.ForeignKey(
        Body, null=True, blank=True, on_delete=models.CASCADE, related_name="officers"
    )
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "body", "role"], name="officer_role_unique"
            )
        ]


class ApiToken(models.Model):
    """A bearer token for API writes, stored only as its SHA-256."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the token may do (core.middleware.TOKEN_SCOPES): "write" everything its user may,
    # "read" only reading, "vote-division" reading and a delegate's division votes.
    scope = models.CharField(max_length=20, default="write")
    # After this the token answers 401; a token lives 30 days unless created with another term.
    expires_at = models.DateTimeField(null=True, blank=True)
