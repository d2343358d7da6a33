"""Elections, ballots, participation and recall.

Secrecy by construction (docs/adr/0002-ballot-secrecy.md): ``Participation`` (who voted) and
``Ballot`` (what) share no column, no foreign key and no ordering. Both, like ``TrackingCode`` and
``IdempotencyRecord``, have random UUID primary keys and no time columns; at close the ballots and
tracking codes are rewritten in random order and the tables compacted, so that the physical order
(SQLite's rowid, PostgreSQL's ctid and xmin) says nothing either.

On PostgreSQL those five per-vote tables (ballots, tracking codes, participation, cast
fingerprints, idempotency rows) are partitioned by election (migration 0005,
docs/adr/0017-partitions-and-streaming.md): their primary key there is ``(id, election_id)``,
while Django knows it as ``id`` (random UUIDs, unique in practice), which is all the ORM needs;
``elections.storage`` creates a vote's partitions at open and rewrites them at close.

Models hold data and constraints only: counting is in ``asamblea.counting`` and
``asamblea.record.recount_elections``, state changes in ``actions.py``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Election(models.Model):
    """A vote of one unit (or lower assembly): for its seats in a body, or on a recall."""

    class Kind(models.TextChoices):
        DELEGATES = "delegates", "delegate election"
        BY_ELECTION = "by_election", "by-election"
        RECALL = "recall", "recall vote"
        # A unit's secret vote on its instruction to its delegates before a division (method
        # "instruction": for, against, abstain or free); see assemblies.actions.instructions.
        INSTRUCTION = "instruction", "instruction vote"

    class State(models.TextChoices):
        DRAFT = "draft", "draft"
        NOMINATIONS = "nominations", "nominations"
        OPEN = "open", "open"
        CLOSED = "closed", "closed"
        COUNTED = "counted", "counted"
        CERTIFIED = "certified", "certified"

    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="elections"
    )
    # The unit (or lower assembly) whose roll votes.
    unit = models.ForeignKey("registry.Body", on_delete=models.PROTECT, related_name="elections")
    # The body whose seats are filled (for a recall: the body the recalled delegate sits in).
    body = models.ForeignKey(
        "registry.Body", on_delete=models.PROTECT, related_name="elections_for"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DELEGATES)
    title = models.CharField(max_length=200)
    seats = models.PositiveIntegerField(default=1)
    # A name in asamblea.counting.methods.METHODS, or "yesno" for a recall vote.
    method = models.CharField(max_length=40)
    # Method options and the organisation's settings in force; written on the record.
    rules = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    roll = models.ForeignKey(
        "registry.Roll", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Scheduled times (announced) and actual times (when it happened) are separate.
    nominations_open_at = models.DateTimeField(null=True, blank=True)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    nominations_opened_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    certified_at = models.DateTimeField(null=True, blank=True)
    # The lot's seed: its SHA-256 is recorded at open, the seed itself at the count. Secret until then.
    seed_commitment = models.CharField(max_length=64, blank=True)
    seed = models.CharField(max_length=64, blank=True, editable=False)
    result = models.JSONField(null=True, blank=True)
    # For a by-election: the seat it fills.
    seat = models.ForeignKey(
        "registry.Seat", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    # Sealed votes (docs/adr/0013-sealed-votes-threat-model.md): bound at open to the ready board
    # of trustees of the unit or organisation, and to its public key then (``public_key``, point
    # text). ``seal_id`` is the election id every ballot proof is bound to. ``totals`` holds the
    # decrypted total of each answer per question once k trustees have decrypted the tally; until
    # then a closed sealed vote cannot be counted. A vote opened before sealing existed has no
    # key and finishes on the plaintext path.
    board = models.ForeignKey(
        "trustees.TrusteeBoard",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    public_key = models.CharField(max_length=43, blank=True)
    seal_id = models.CharField(max_length=200, blank=True)
    totals = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_sealed(self) -> bool:
        return bool(self.public_key)

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class Candidate(models.Model):
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    member = models.ForeignKey(
        "registry.Member", on_delete=models.PROTECT, related_name="candidacies"
    )
    # The name on the ballot paper and in published ballots (the member's public id).
    key = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField()
    nominated_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["election_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["election", "member"], name="candidate_once"),
            models.UniqueConstraint(fields=["election", "key"], name="candidate_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class VotingCredential(models.Model):
    """A member's single-use code for one election, stored only as HMAC-SHA256(server key, code).

    The code itself (100 random bits, 20 base32 characters) exists only on the printed card or in
    a secret outbox message, which is deleted once delivered.
    """

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="credentials")
    member = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="+")
    code_hmac = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "member"], name="one_credential_per_voter")
        ]


class Participation(models.Model):
    """That a roll entry voted in an election: never when, never what.

    One per roll entry per election, enforced by the database (concurrent retries cannot cast
    twice). No time column: the election's own open and close times are all anyone learns.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="participations")
    roll_entry = models.ForeignKey("registry.RollEntry", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["election", "roll_entry"], name="one_participation_per_roll_entry"
            )
        ]


class Ballot(models.Model):
    """What was voted: canonical JSON only. No member, no participation, no time, random id.

    For a sealed vote, the sealed ballot's canonical JSON (crypto.ballot): ciphertexts and proofs,
    nothing a copy of the database could read a choice from."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="ballots")
    content = models.TextField()


class TrackingCode(models.Model):
    """The published proof that a ballot was counted; linked to neither ballot nor voter."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="tracking_codes")
    # 12 random characters for a plaintext vote; for a sealed one the ballot's hash (43).
    code = models.CharField(max_length=43)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="tracking_code_unique")
        ]


class IdempotencyRecord(models.Model):
    """H(key) -> (tracking code, H(key || ballot)), so a retried cast returns the same receipt.

    Holds no member and no time, and is deleted when the election closes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+")
    # Unique per vote (a key on a partitioned table must include the partition key); a key used
    # in another vote is still refused by casting's lookup, which searches every vote's rows.
    key_hash = models.CharField(max_length=64, db_index=True)
    tracking_code = models.CharField(max_length=43)
    ballot_digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "key_hash"], name="idempotency_key_unique")
        ]


class CastFingerprint(models.Model):
    """The alpha of every ciphertext cast in a sealed vote: a copied ciphertext (Cortier-Smyth)
    is refused by the database itself, however many casts race. Deleted at close (the ballots,
    public then, carry the same alphas). No member, no time, random id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="+")
    alpha = models.CharField(max_length=43)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "alpha"], name="cast_fingerprint_unique")
        ]


class Certification(models.Model):
    """One officer's signature on a counted result; two distinct officers certify."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="certifications")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    certified_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "officer"], name="certify_once_per_officer")
        ]


class RecallPetition(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "collecting signatures"
        VOTING = "voting", "recall vote open"
        MEETING = "meeting", "awaiting the general meeting's result"
        PASSED = "passed", "passed"
        FAILED = "failed", "failed"
        EXPIRED = "expired", "expired"

    organisation = models.ForeignKey(
        "registry.Organisation", on_delete=models.PROTECT, related_name="recall_petitions"
    )
    # The represented unit, whose roll (frozen at opening) signs and votes.
    unit = models.ForeignKey(
        "registry.Body", on_delete=models.PROTECT, related_name="recall_petitions"
    )
    mandate = models.ForeignKey(
        "registry.Mandate", on_delete=models.PROTECT, related_name="recall_petitions"
    )
    opened_by = models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    roll = models.ForeignKey("registry.Roll", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices, default=State.OPEN)
    # The rules in force at opening (threshold, window, passing rule), written on the record.
    rules = models.JSONField(default=dict, blank=True)
    opened_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    threshold_reached_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    election = models.OneToOneField(
        Election, null=True, blank=True, on_delete=models.PROTECT, related_name="recall"
    )
    # For a general meeting: the agreed teller result.
    meeting_result = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "state"])]

    def __str__(self) -> str:
        return f"recall of {self.mandate.member} ({self.state})"


class Signature(models.Model):
    """Seen only by officers checking it, never by the petition's target; the public sees counts."""

    petition = models.ForeignKey(
        RecallPetition, on_delete=models.CASCADE, related_name="signatures"
    )
    roll_entry = models.ForeignKey("registry.RollEntry", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "roll_entry"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_standing_signature",
            )
        ]


class TellerEntry(models.Model):
    """A general meeting's recall result as one teller counted it; two must agree."""

    petition = models.ForeignKey(
        RecallPetition, on_delete=models.CASCADE, related_name="teller_entries"
    )
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    present = models.PositiveIntegerField()
    yes = models.PositiveIntegerField()
    no = models.PositiveIntegerField()
    abstain = models.PositiveIntegerField(default=0)
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["petition", "teller"], name="one_entry_per_teller")
        ]
