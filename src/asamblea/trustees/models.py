"""Standing boards of trustees, their key-generation messages and the decryptions they do.

A board (``TrusteeBoard``) belongs to an organisation and optionally to one of its units. Its
``uid`` is the ``BoardContext.board_id`` every key-generation proof is bound to. Each ``Trustee``
publishes three messages on their own computer (Belenios 2.0 section 3.1.1, "Pedersen"): a
certificate, a polynomial, a verification key. They are kept here as the canonical JSON of
:mod:`asamblea.record.entries.trustees` (public data: nothing here can decrypt anything) and on the
public record. The server never holds a share.

A ``DecryptionRequest`` holds the ciphertexts of encrypted totals (public, on the record too)
grouped by ``(election_id, question_id)``; each ``DecryptionPartial`` is one trustee's verified
decryption factors with proofs. The k-th valid partial completes the request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from asamblea.registry.models import Body, Member, Organisation


class TrusteeBoard(models.Model):
    class State(models.TextChoices):
        KEYGEN = "keygen", "key generation"
        READY = "ready", "ready"
        RETIRED = "retired", "retired"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="trustee_boards"
    )
    unit = models.ForeignKey(
        Body, on_delete=models.PROTECT, null=True, blank=True, related_name="trustee_boards"
    )
    uid = models.CharField(max_length=120, unique=True)
    k = models.PositiveSmallIntegerField()
    n = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.KEYGEN)
    public_key = models.CharField(max_length=43, blank=True)
    # Whether the board's page and the record name the trustees or call them "Trustee 3".
    public_names = models.BooleanField(default=True)
    # How long the trustees have to post their partial decryptions once a request is made.
    deadline_hours = models.PositiveIntegerField(default=72)
    # A board made by resharing another one's key (lifecycle), or None for a fresh key.
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    demo = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    ready_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(k__gte=1) & models.Q(n__lte=15) & models.Q(k__lte=models.F("n")),
                name="trustee_board_k_n",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.uid} ({self.k} of {self.n}, {self.state})"

    @property
    def is_ready(self) -> bool:
        return self.state == self.State.READY


class Trustee(models.Model):
    board = models.ForeignKey(TrusteeBoard, on_delete=models.PROTECT, related_name="trustees")
    index = models.PositiveSmallIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trusteeships"
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, null=True, blank=True, related_name="trusteeships"
    )
    # What the board's page and the record call this trustee (a name or a pseudonym).
    label = models.CharField(max_length=200)
    # The published key-generation messages, as their record JSON (public).
    certificate = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=43, blank=True)
    certificate_at = models.DateTimeField(null=True, blank=True)
    polynomial = models.JSONField(null=True, blank=True)
    polynomial_at = models.DateTimeField(null=True, blank=True)
    verification_key = models.JSONField(null=True, blank=True)
    verification_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["board_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["board", "index"], name="trustee_board_index"),
            models.UniqueConstraint(fields=["board", "user"], name="trustee_board_user"),
        ]

    def __str__(self) -> str:
        return f"trustee {self.index} of {self.board.uid}"

    @property
    def steps_done(self) -> int:
        """Key-generation messages published (a reshared board's trustees have no polynomial)."""
        done = [self.certificate, self.verification_key]
        if self.board.replaces_id is None:
            done.append(self.polynomial)
        elif self.verification_key is not None:
            done.append(True)
        return sum(x is not None for x in done)


class DecryptionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "pending"
        COMPLETED = "completed", "completed"

    board = models.ForeignKey(
        TrusteeBoard, on_delete=models.PROTECT, related_name="decryption_requests"
    )
    subject = models.CharField(max_length=200)
    # [{"election": ..., "question": ..., "ciphertexts": [[alpha, beta], ...]}, ...]
    groups = models.JSONField()
    total = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["board", "state"])]

    def __str__(self) -> str:
        return f"decryption {self.pk} of {self.subject}"

    @property
    def prefix(self) -> str:
        return self.subject.split(":", 1)[0]

    @property
    def overdue(self) -> bool:
        """Past its deadline and still waiting (partials are still accepted: ADR 0012)."""
        from asamblea.core.clock import now

        return self.state == self.State.PENDING and self.deadline_at < now()


class DecryptionPartial(models.Model):
    """One trustee's verified partial decryption of a whole request (every group)."""

    request = models.ForeignKey(
        DecryptionRequest, on_delete=models.PROTECT, related_name="partials"
    )
    trustee = models.ForeignKey(Trustee, on_delete=models.PROTECT, related_name="partials")
    # [{"factors": [point, ...], "proofs": [[c, r], ...]}, ...], one per group.
    groups = models.JSONField()
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["request_id", "trustee__index"]
        constraints = [
            models.UniqueConstraint(fields=["request", "trustee"], name="decryption_partial_once"),
        ]


class ReshareDealing(models.Model):
    """Resharing: an old trustee's share dealt afresh to a new board (crypto/reshare.py)."""

    board = models.ForeignKey(TrusteeBoard, on_delete=models.PROTECT, related_name="dealings")
    dealer = models.ForeignKey(Trustee, on_delete=models.PROTECT, related_name="dealings")
    # The dealing's record JSON (public: commitments, proofs, shares encrypted to new trustees).
    message = models.JSONField()
    dealt_at = models.DateTimeField()

    class Meta:
        ordering = ["board_id", "dealer__index"]
        constraints = [
            models.UniqueConstraint(fields=["board", "dealer"], name="reshare_dealing_once"),
        ]


class MixRequest(models.Model):
    """A list of sealed ranked ballots for the board's trustees to shuffle in turn, each with a
    proof the server checks before accepting (trustees/actions/mixing.py, ADR 0015)."""

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        COMPLETED = "completed", "completed"

    board = models.ForeignKey(TrusteeBoard, on_delete=models.PROTECT, related_name="mixes")
    subject = models.CharField(max_length=200)
    # The election's number on the record (the entries' "election"), its seal id and question:
    # every proof is bound to Context(seal_id, question, board key).
    election = models.PositiveIntegerField()
    seal_id = models.CharField(max_length=200)
    question = models.CharField(max_length=40)
    ballots = models.PositiveIntegerField()
    width = models.PositiveSmallIntegerField()
    rounds = models.PositiveSmallIntegerField()
    # The list the next trustee shuffles: [[[alpha, beta], ...], ...] (the last round's output).
    current = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"mix {self.pk} of {self.subject}"

    @property
    def prefix(self) -> str:
        return self.subject.split(":", 1)[0]


class MixShuffle(models.Model):
    """One trustee's accepted shuffle (its outputs and proof are on the record)."""

    mix = models.ForeignKey(MixRequest, on_delete=models.PROTECT, related_name="shuffles")
    trustee = models.ForeignKey(Trustee, on_delete=models.PROTECT, related_name="shuffles")
    round = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["mix_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["mix", "trustee"], name="mix_shuffle_once"),
            models.UniqueConstraint(fields=["mix", "round"], name="mix_round_once"),
        ]
