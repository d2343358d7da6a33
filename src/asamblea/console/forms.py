"""The console's forms: parsing and presentation only; every rule is in the ``check_*`` called."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from asamblea.counting.methods import METHODS
from asamblea.registry.actions.tokens import SCOPES, TOKEN_DAYS
from asamblea.registry.models import Membership

MAX_UPLOAD = 20 * 1024 * 1024
DATE = forms.DateInput(attrs={"type": "date"})
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Members file (CSV or XLSX)"),
        help_text=_("Columns: unit_code, member_ref, display_name, phone, email, joined_on"),
    )

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("The file must be a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class MemberForm(forms.Form):
    member_ref = forms.CharField(label=_("Member number"), max_length=64)
    display_name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("Email address"), max_length=254, required=False)
    joined_on = forms.DateField(label=_("Joined on"), widget=DATE)


class EditMemberForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), max_length=200)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("Email address"), max_length=254, required=False)


class TransferForm(forms.Form):
    to_unit = forms.CharField(label=_("Code of the new unit"), max_length=80)
    on = forms.DateField(label=_("On"), widget=DATE)


class EndMembershipForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=DATE)
    reason = forms.ChoiceField(
        label=_("Why"),
        choices=[
            (Membership.EndReason.LEFT, _("left")),
            (Membership.EndReason.EXPELLED, _("expelled")),
            (Membership.EndReason.DIED, _("died")),
        ],
    )


class FreezeForm(forms.Form):
    purpose = forms.CharField(label=_("Purpose"), max_length=200, required=False)


class SeedForm(forms.Form):
    seed = forms.CharField(
        label=_("Seed of the lot (empty: derived from public facts)"),
        max_length=200,
        required=False,
    )


METHOD_CHOICES = [
    ("plurality", _("plurality")),
    ("approval", _("approval")),
    ("irv", _("instant runoff (IRV)")),
    ("stv-scottish", _("single transferable vote (Scottish rules)")),
    ("stv-meek", _("single transferable vote (Meek)")),
    ("schulze", _("Schulze")),
]


class ElectionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    unit = forms.ChoiceField(label=_("Unit that votes"))
    body = forms.ChoiceField(label=_("Body it elects to"))
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=500, initial=1)
    method = forms.ChoiceField(
        label=_("Method"), choices=[c for c in METHOD_CHOICES if c[0] in METHODS]
    )
    opens_at = forms.DateTimeField(label=_("Opens at"), required=False, widget=WHEN)
    closes_at = forms.DateTimeField(label=_("Closes at"), required=False, widget=WHEN)

    def __init__(self, *args, units=(), bodies=(), **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(b.code, f"{b.name} ({b.code})") for b in units]
        self.fields["body"].choices = [(b.code, f"{b.name} ({b.code})") for b in bodies]

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The vote must close after it opens."))
        return data


class NominateForm(forms.Form):
    member_ref = forms.CharField(label=_("Member number of the candidate"), max_length=64)


class SignatureForm(forms.Form):
    member_ref = forms.CharField(label=_("Member number of the signer"), max_length=64)


class TellerForm(forms.Form):
    present = forms.IntegerField(label=_("Present"), min_value=0)
    yes = forms.IntegerField(label=_("Yes"), min_value=0)
    no = forms.IntegerField(label=_("No"), min_value=0)
    abstain = forms.IntegerField(label=_("Abstentions"), min_value=0, initial=0)


class TokenForm(forms.Form):
    label = forms.CharField(label=_("What it is for"), max_length=100, required=False)
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=[
            ("read", _("read only")),
            ("vote-division", _("read, and a delegate's votes in divisions")),
            ("write", _("everything you may do")),
        ],
    )
    days = forms.IntegerField(
        label=_("Days it lives"), min_value=1, max_value=366, initial=TOKEN_DAYS
    )
    code = forms.CharField(
        label=_("A fresh code from your authenticator"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_scope(self):  # type: ignore[no-untyped-def]
        scope = self.cleaned_data["scope"]
        if scope not in SCOPES:
            raise forms.ValidationError(_("Unknown scope."))
        return scope
