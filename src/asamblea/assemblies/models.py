"""Sessions, motions, public roll calls, instructions (imperative mandates) and resolutions.

Models hold data and constraints only. Weights, quorum and thresholds are computed by the pure
function :func:`asamblea.rules.divisions.decide` (the same one ``asamblea verify`` runs
on the public record) and applied by ``actions.py``.

Weights are stored as exact fractions (``weight_num``/``weight_den``), never as floats.
"""

from __future__ import annotations

from fractions import Fraction

from django.db import models
from django.db.models import Q

from asamblea.registry.models import Alternate, Body, Mandate, Member, Roll, Seat


class Choice(models.TextChoices):
    FOR = "for", "for"
    AGAINST = "against", "against"
    ABSTAIN = "abstain", "abstain"


class Session(models.Model):
    """A sitting of one body (assembly or committee). Scheduled and actual times are separate."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "scheduled"
        OPEN = "open", "open"
        CLOSED = "closed", "closed"

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=200)
    # One agenda item a line; the order is the order of business.
    agenda = models.TextField(blank=True)
    place = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    scheduled_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["body", "-scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.body})"

    @property
    def agenda_items(self) -> list[str]:
        return [line.strip() for line in self.agenda.splitlines() if line.strip()]


class Attendance(models.Model):
    """Who sits in one seat during a session: its delegate, or an alternate standing in.

    When a delegate is recalled mid-session the attendance row of the old mandate is closed
    (``left_at``) and the successor gets a new row on the same seat: the seat's weight moves.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    # The mandate the seat had on arrival; the person sitting is its holder unless standing in.
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="attendances")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    standing_in = models.ForeignKey(
        Alternate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    arrived_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "seat"],
                condition=Q(left_at__isnull=True),
                name="attendance_one_present_per_seat",
            )
        ]
        indexes = [models.Index(fields=["session", "left_at"])]

    @property
    def is_alternate(self) -> bool:
        return self.standing_in_id is not None


class Motion(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "proposed"
        ADOPTED = "adopted", "adopted"
        REJECTED = "rejected", "rejected"
        WITHDRAWN = "withdrawn", "withdrawn"

    class Threshold(models.TextChoices):
        # for > against; abstentions are not votes cast.
        MAJORITY_CAST = "majority_cast", "majority of votes cast"
        # for × 2 > all seats (or all weight), present or not.
        ABSOLUTE_MAJORITY = "absolute_majority", "absolute majority of the seats"
        # for ≥ fraction × all seats (or all weight): the legal number, not those voting.
        QUALIFIED = "qualified", "qualified majority of the legal number"
        # votes cast (abstentions included) reach the quorum, and for > against.
        QUORUM = "quorum", "majority of votes cast, with a quorum voting"

    class ResolutionKind(models.TextChoices):
        NONE = "", "none"
        DEMAND = "demand", "demand"
        STRIKE_CALL = "strike_call", "strike call"
        MARCH = "march", "march"

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="motions")
    number = models.PositiveIntegerField()
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    proposer = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposer_name = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    text = models.TextField()
    threshold = models.CharField(
        max_length=20, choices=Threshold.choices, default=Threshold.MAJORITY_CAST
    )
    # QUALIFIED: the fraction of the legal number (2/3 for "two thirds", 2/5 for "40%").
    threshold_num = models.PositiveIntegerField(default=1)
    threshold_den = models.PositiveIntegerField(default=2)
    # What the motion becomes when adopted (nothing for procedural motions and amendments).
    resolution_kind = models.CharField(
        max_length=20, choices=ResolutionKind.choices, blank=True, default=""
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "number"], name="motion_number_unique"),
            models.CheckConstraint(
                condition=Q(threshold_den__gt=0)
                & Q(threshold_num__gt=0)
                & Q(threshold_num__lte=models.F("threshold_den")),
                name="motion_threshold_is_a_fraction",
            ),
        ]
        ordering = ["session_id", "number"]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def threshold_fraction(self) -> Fraction:
        return Fraction(self.threshold_num, self.threshold_den)


class Division(models.Model):
    """A public roll call on one motion. Totals and outcome are written when it closes."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        CLOSED = "closed", "closed"

    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="division")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The rule in force, fixed at opening and written on the record with the result: threshold,
    # basis ("seats" or "weight"), quorum fraction, legal number of seats and total weight.
    rule = models.JSONField(default=dict)
    # Fixed at opening with the rule, so that every vote of one division weighs by one
    # apportionment and one set of instructions: {unit id: "num/den"} (weighted bodies only) and
    # {unit id: [instruction id, result]}. Instructions are closed before a division opens.
    weights = models.JSONField(default=dict, blank=True)
    instructed = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Written at close, exact, as "num/den" strings.
    totals = models.JSONField(default=dict, blank=True)
    # The running tally, kept by the casting action in each cast's own transaction (under the
    # division's row lock): total weight per choice ("num/den") and votes per choice. A cache of
    # the votes, so that a page shows the tally without reading 10,000 of them; the close counts
    # the votes themselves, ``queries.recount_tally`` recomputes it, and tests hold the two equal.
    live_totals = models.JSONField(default=dict, blank=True)
    live_counts = models.JSONField(default=dict, blank=True)
    is_quorate = models.BooleanField(null=True, blank=True)
    is_adopted = models.BooleanField(null=True, blank=True)
    explanation = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"division on {self.motion}"


class Instruction(models.Model):
    """A unit's instruction to its delegates on one motion, from a secret vote of its roll.

    A unit's secret vote is an election of kind "instruction" (``election``), sealed and
    decrypted by the trustees like any vote. What follows is the first path's, kept for
    instruction votes opened before that: ballots are never stored one by one. The instruction keeps only running counts, and
    :class:`InstructionParticipation` only who has voted (without a time), so no row links a member
    to a choice. The counts are published when the vote closes.
    """

    class Result(models.TextChoices):
        FOR = "for", "for"
        AGAINST = "against", "against"
        ABSTAIN = "abstain", "abstain"
        FREE = "free", "free"

    class Status(models.TextChoices):
        OPEN = "open", "open"
        # Sealed vote closed; the board's trustees have not yet decrypted its totals.
        DECRYPTING = "decrypting", "awaiting the trustees"
        CLOSED = "closed", "closed"

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="instructions")
    unit = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="instructions")
    # The base unit's roll frozen for the vote; None when the sender is itself an assembly (a
    # regional assembly instructing its delegates to a joint committee decides by its own vote).
    roll = models.ForeignKey(
        Roll, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # "election" (members vote through the elections machinery: a sealed vote of kind
    # "instruction", ``election``), "meeting" (a general meeting's count entered by tellers),
    # "assembly" (the sending assembly's own count, entered by its chair), or "ballot" (the
    # first path's running counts, kept only for instruction votes opened before it was replaced).
    method = models.CharField(max_length=10, default="ballot")
    election = models.OneToOneField(
        "elections.Election",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instruction",
    )
    # The most votes the instruction may count: the roll's size, or the sending assembly's seats.
    electorate = models.PositiveIntegerField(default=0)
    count_for = models.PositiveIntegerField(default=0)
    count_against = models.PositiveIntegerField(default=0)
    count_abstain = models.PositiveIntegerField(default=0)
    count_free = models.PositiveIntegerField(default=0)
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["motion", "unit"], name="instruction_one_per_unit")
        ]

    def counts(self) -> dict[str, int]:
        return {
            "for": self.count_for,
            "against": self.count_against,
            "abstain": self.count_abstain,
            "free": self.count_free,
        }


class InstructionParticipation(models.Model):
    """That a member has voted on an instruction: no choice, no time (see Instruction)."""

    instruction = models.ForeignKey(
        Instruction, on_delete=models.CASCADE, related_name="participations"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instruction", "member"], name="instruction_vote_once")
        ]


class DelegateVote(models.Model):
    """One seat's public vote in a division, attributed by name and unit, with its exact weight."""

    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="votes")
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="assembly_votes")
    # Names as they were when the vote was cast: the roll call is a public document.
    member_name = models.CharField(max_length=200)
    unit = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="+")
    unit_name = models.CharField(max_length=200)
    is_alternate = models.BooleanField(default=False)
    choice = models.CharField(max_length=10, choices=Choice.choices)
    weight_num = models.PositiveBigIntegerField()
    weight_den = models.PositiveBigIntegerField()
    instruction = models.ForeignKey(
        Instruction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_deviation = models.BooleanField(default=False)
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["division", "seat"], name="vote_one_per_seat"),
            models.CheckConstraint(condition=Q(weight_den__gt=0), name="vote_weight_den_positive"),
        ]
        indexes = [models.Index(fields=["division", "unit_name", "member_name", "seat"])]

    @property
    def weight(self) -> Fraction:
        return Fraction(self.weight_num, self.weight_den)


class Deviation(models.Model):
    """A delegate's vote differs from their unit's instruction (flagged on the record)."""

    vote = models.OneToOneField(DelegateVote, on_delete=models.PROTECT, related_name="deviation")
    instruction = models.ForeignKey(Instruction, on_delete=models.PROTECT, related_name="+")
    # The organisation's mandate mode when it happened: "report" or "recall" ("bound" refuses).
    mode = models.CharField(max_length=10)
    # What the deviation opened, e.g. "recall_petition:12", or why nothing was opened.
    consequence = models.CharField(max_length=200, blank=True)
    flagged_at = models.DateTimeField()


class Resolution(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        PARTLY_MET = "partly_met", "partly met"
        MET = "met", "met"
        DROPPED = "dropped", "dropped"

    body = models.ForeignKey(Body, on_delete=models.PROTECT, related_name="resolutions")
    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="resolution")
    kind = models.CharField(max_length=20, choices=Motion.ResolutionKind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    adopted_at = models.DateTimeField()

    class Meta:
        ordering = ["body_id", "-adopted_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ResolutionStatusChange(models.Model):
    resolution = models.ForeignKey(Resolution, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=12, choices=Resolution.Status.choices)
    note = models.TextField(blank=True)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["resolution_id", "changed_at", "id"]
