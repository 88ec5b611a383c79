from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import Customer

from . import cells, parsing
from .columns import date_format_problem, fields_for, mapping_errors


def _required_help(field):
    """A required field's help, one sentence pair to translate (the form is built for each
    request, in its language)."""
    if not field.help:
        return gettext("Required.")
    return gettext("Required. %(help)s") % {"help": field.help}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=parsing.ENCODINGS,
        initial="utf-8",
        help_text=_("Excel's “CSV UTF-8” is UTF-8; older Excel versions save Windows-1252."),
    )
    delimiter = forms.ChoiceField(
        label=_("Separator"), choices=parsing.DELIMITERS, required=False, initial=""
    )
    header = forms.ChoiceField(
        label=_("First line"),
        choices=parsing.HEADER_CHOICES,
        required=False,
        initial="",
        help_text=_("Detected: a first line holding numbers or dates is data, not column names."),
    )

    def has_header(self):
        """True, False, or None to detect it."""
        return {"yes": True, "no": False}.get(self.cleaned_data.get("header") or "")


class MappingForm(forms.Form):
    """One select per field, listing the file's columns; then the validation options."""

    date_format = forms.ChoiceField(
        label=_("Dates look like"),
        choices=[("", _("— choose —")), *cells.DATE_FORMATS],
        required=False,
        help_text=_("Detected from the first rows of the file."),
    )

    def __init__(self, *args, job, can_reassign, **kwargs):
        self.job = job
        self.can_reassign = can_reassign
        initial = {name: str(index) for name, index in job.mapping.items()}
        initial.update(job.options)
        super().__init__(*args, initial=initial, **kwargs)
        columns = [
            ("", _("— not in the file —")),
            *(
                (str(index), header or _("column %(number)s") % {"number": index + 1})
                for index, header in enumerate(job.headers)
            ),
        ]
        self.field_names = []
        for field in fields_for(job.kind, can_reassign=can_reassign):
            self.fields[field.name] = forms.ChoiceField(
                label=field.label,
                choices=columns,
                required=False,
                help_text=_required_help(field) if field.required else field.help,
            )
            self.field_names.append(field.name)
        if job.kind == "orders":
            self.fields["create_customers"] = forms.BooleanField(
                label=_("Create unknown customers"),
                required=False,
                help_text=_(
                    "A customer external id not in the CRM creates a customer you own, named "
                    "from the customer name column (or the id)."
                ),
            )
            self.fields["new_customer_kind"] = forms.ChoiceField(
                label=_("Create them as"),
                choices=Customer.Kind.choices,
                widget=forms.RadioSelect,
                required=False,
                initial=job.options.get("new_customer_kind", Customer.Kind.COMPANY),
                help_text=_("Shoppers in a store's purchase log are persons."),
            )
        else:
            self.fields["without_external_id"] = forms.BooleanField(
                label=_("Create customers without external id"),
                required=False,
                help_text=_(
                    "Rows with an empty external id create a new customer each time the file "
                    "is imported."
                ),
            )
        self.option_names = [n for n in self.fields if n not in self.field_names]
        if not job.options.get("date_format"):
            # Several formats fit the first rows: say which, and let the person choose.
            problem = date_format_problem(job.kind, job.mapping, job.options)
            if problem:
                self.fields["date_format"].help_text = problem

    def mapping_fields(self):
        return [self[name] for name in self.field_names]

    def option_fields(self):
        return [self[name] for name in self.option_names]

    def clean(self):
        cleaned = super().clean()
        mapping = {name: int(cleaned[name]) for name in self.field_names if cleaned.get(name)}
        options = {name: cleaned.get(name) for name in self.option_names}
        if "new_customer_kind" in options:
            options["new_customer_kind"] = options["new_customer_kind"] or Customer.Kind.COMPANY
        # What the upload found (the formats its dates fit) names the choice in a message.
        known = {**self.job.options, **options}
        date_problem = date_format_problem(self.job.kind, mapping, known)
        if date_problem:
            self.add_error("date_format", date_problem)
        for message in mapping_errors(
            self.job.kind,
            mapping,
            headers=self.job.headers,
            options=known,
            can_reassign=self.can_reassign,
        ):
            if message != date_problem:
                self.add_error(None, message)
        cleaned["mapping"] = mapping
        cleaned["options"] = options
        return cleaned
