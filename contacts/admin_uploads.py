"""Django admin pages that upload the opt-out list and the bounce report (contacts.services.uploads), beside the
`import_opt_outs` and `import_bounces` commands: a form (store, file, and for opt-outs the Turn Off reason), then a
result page (applied, unknown keys or already imported, errors with their line numbers)."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Dealership, TurnOffReason

from .services.opt_outs import opt_out_reason_get
from .services.uploads import MAX_UPLOAD_BYTES, UploadError, bounces_upload, opt_outs_upload

TEMPLATE = "admin/contacts/csv_upload.html"


def _file_help() -> str:
    return gettext("UTF-8 CSV with a header row, at most %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}


class CsvUploadForm(forms.Form):
    dealership = forms.ModelChoiceField(queryset=Dealership.objects.order_by("name"), label=_("Store"))
    file = forms.FileField(label=_("CSV file"), help_text=lazy(_file_help, str)())


class OptOutUploadForm(CsvUploadForm):
    reason = forms.ModelChoiceField(
        queryset=TurnOffReason.objects.filter(is_active=True, applies_to_contact_method=True).order_by("code"),
        required=False,
        label=_("Turn Off reason"),
        help_text=_("The store's own or a global code for contact methods. Blank: the global OPTOUT code."),
    )

    def clean(self):
        data = super().clean()
        store, reason = data.get("dealership"), data.get("reason")
        if store and reason and reason.dealership_id not in (None, store.pk):
            self.add_error("reason", gettext("That reason belongs to another store."))
        return data


OPT_OUT_HELP = _(
    "A cell-number column (cell_phone, cell, mobile, phone or sms) and/or an email column, or one 'key' column "
    "holding either. Every customer of the store with that cell number or address gets the Cell Phone or Email "
    "method turned off with the reason (history: the file and you); keys matching nobody are listed."
)
BOUNCE_HELP = _(
    "Columns email and bounced_at (required), campaign, reason, optional kind/type and id. Rows already imported "
    "are skipped, so uploading the same report twice stores nothing new."
)


class CsvUploadAdminMixin:
    """Adds `<changelist>/upload/` to a ModelAdmin (`upload_kind`: "opt_outs" or "bounces")."""

    upload_kind = ""
    upload_permission = ""

    def get_urls(self):
        meta = self.model._meta
        name = f"{meta.app_label}_{meta.model_name}_upload"
        return [path("upload/", self.admin_site.admin_view(self.upload_view), name=name), *super().get_urls()]

    def upload_view(self, request):
        if not request.user.has_perm(self.upload_permission):
            raise PermissionDenied
        opt_outs = self.upload_kind == "opt_outs"
        form_class = OptOutUploadForm if opt_outs else CsvUploadForm
        result = error = None
        if request.method == "POST":
            form = form_class(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if opt_outs:
                        reason = data["reason"] or opt_out_reason_get(dealership=data["dealership"])
                        result = opt_outs_upload(
                            dealership=data["dealership"], uploaded=data["file"], reason=reason, actor=request.user
                        )
                    else:
                        result = bounces_upload(dealership=data["dealership"], uploaded=data["file"])
                except (UploadError, ValueError) as exc:
                    error = str(exc)
        else:
            form = form_class()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Upload an opt-out list") if opt_outs else gettext("Upload a bounce report"),
            "help": OPT_OUT_HELP if opt_outs else BOUNCE_HELP,
            "form": form,
            "result": result,
            "error": error,
            "store": form.cleaned_data.get("dealership") if form.is_bound and form.is_valid() else None,
        }
        status = 400 if error or (request.method == "POST" and form.errors) else 200
        return TemplateResponse(request, TEMPLATE, context, status=status)
