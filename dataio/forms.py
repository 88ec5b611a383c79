from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from . import cells, parsing
from .columns import fields_for, mapping_errors


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


class MappingForm(forms.Form):
    """One select per field, listing the file's columns; then the validation options."""

    date_format = forms.ChoiceField(label=_("Dates look like"), choices=cells.DATE_FORMATS)
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        help_text=_("Only check the file and show what would change; nothing is written."),
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
                help_text=format_lazy("{} {}", _("Required."), field.help)
                if field.required
                else field.help,
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

    def mapping_fields(self):
        return [self[name] for name in self.field_names]

    def option_fields(self):
        return [self[name] for name in self.option_names]

    def clean(self):
        cleaned = super().clean()
        mapping = {name: int(cleaned[name]) for name in self.field_names if cleaned.get(name)}
        options = {name: cleaned.get(name) for name in self.option_names}
        for message in mapping_errors(
            self.job.kind,
            mapping,
            headers=self.job.headers,
            options=options,
            can_reassign=self.can_reassign,
        ):
            self.add_error(None, message)
        cleaned["mapping"] = mapping
        cleaned["options"] = options
        return cleaned
