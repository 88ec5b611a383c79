import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.jump import Day, Number, Prefix
from customers.selectors import assignable_users

from . import totals
from .models import (
    MAX_QUANTITY,
    MONEY,
    RATE,
    CustomerCost,
    Order,
    Product,
    base_currency,
    currency_code,
)
from .services import INITIAL_STATUSES, LineData

LINES_PREFIX = "lines"
BLANK_LINES = 3
MAX_LINES = 200
_CUSTOMER_REF = re.compile(r"^(?:.*\(#(?P<labelled>\d+)\)|#?(?P<bare>\d+))$")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def customer_label(customer):
    return f"{customer.name} (#{customer.pk})"


class CustomerField(forms.CharField):
    """A customer typed as "Name (#id)" (what the suggestions fill in), an id, an external
    id or an exact name, looked up in ``queryset`` only; scales to any number of
    customers, unlike a select."""

    def __init__(self, *, queryset, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return customer_label(value) if hasattr(value, "pk") else value

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        match = _CUSTOMER_REF.match(text)
        if match:
            found = self.queryset.filter(pk=match["labelled"] or match["bare"]).first()
            if found:
                return found
        found = self.queryset.filter(external_id=text).first()
        if found:
            return found
        named = list(self.queryset.filter(name__iexact=text)[:2])
        if len(named) == 1:
            return named[0]
        if named:
            raise ValidationError(
                gettext(
                    "Several customers are called “%(name)s”; pick one from the suggestions "
                    "or enter its id."
                )
                % {"name": text}
            )
        raise ValidationError(
            gettext(
                "No customer of yours matches “%(text)s”. Type a name, an id or an external id."
            )
            % {"text": text}
        )


class CurrencyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("validators", [currency_code])
        kwargs.setdefault("widget", forms.TextInput(attrs={"list": "currencies", "size": 4}))
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).upper()


class OrderForm(forms.Form):
    customer = CustomerField(
        queryset=None,
        label=_("Customer"),
        help_text=_("Start typing a name, or enter an id or external id."),
    )
    number = forms.CharField(
        label=_("Number"),
        max_length=64,
        required=False,
        help_text=_("Leave empty to get the next SO-number."),
    )
    ordered_on = forms.DateField(label=_("Ordered on"), widget=_DATE)
    currency = CurrencyField(label=_("Currency"))
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in INITIAL_STATUSES],
        initial=Order.Status.PLACED,
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, customers, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["customer"].widget.attrs.update(
            {
                "list": "customer-options",
                "size": 40,
                "autocomplete": "off",
                "hx-get": reverse("orders:customer_suggest"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#customer-options",
            }
        )
        self.fields["currency"].initial = base_currency()
        if order is not None:
            # The status moves through its own actions once the order exists.
            del self.fields["status"]
            self.fields["number"].required = True
            self.fields["number"].help_text = ""


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        error_messages={"invalid_choice": _("Unknown product; choose one from the list.")},
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={"min_value": _("Quantity must be at least 1.")},
        widget=forms.NumberInput(attrs={"size": 5}),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        **MONEY,
        min_value=0,
        required=False,
        help_text=_("Empty: list price."),
        error_messages={"min_value": _("Unit price cannot be negative.")},
    )
    discount = forms.DecimalField(
        label=_("Discount"),
        **MONEY,
        min_value=0,
        required=False,
        initial=0,
        error_messages={"min_value": _("Discount cannot be negative.")},
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        # The table header labels the columns; each input still needs its own name.
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = field.label

    def has_changed(self):
        """Filled in: some field differs from a blank row. A row removed in the browser
        posts nothing at all and so counts as blank too."""
        for name, field in self.fields.items():
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if value not in (None, "") and field.has_changed(field.initial, value):
                return True
        return False

    def clean(self):
        cleaned = super().clean()
        product, quantity = cleaned.get("product"), cleaned.get("quantity")
        if product is None or quantity is None or self.errors:
            return cleaned
        line = totals.LineInput(
            quantity=quantity,
            unit_price=product.list_price
            if cleaned.get("unit_price") is None
            else cleaned["unit_price"],
            unit_cost=product.unit_cost,
            discount=cleaned.get("discount") or 0,
        )
        for problem in totals.validate_line(line):
            self.add_error(None, problem)
        return cleaned

    def line_data(self):
        cleaned = self.cleaned_data
        return LineData(
            product=cleaned["product"],
            quantity=cleaned["quantity"],
            unit_price=cleaned.get("unit_price"),
            discount=cleaned.get("discount") or 0,
        )


class BaseLineFormSet(forms.BaseFormSet):
    """Order lines. Every row is optional (a blank row is skipped) because lines are
    replaced as a whole on save; at least one row must be filled in."""

    def initial_form_count(self):
        return 0

    def filled_forms(self):
        return [form for form in self.forms if form.has_changed()]

    def clean(self):
        if any(self.errors):
            return
        if not self.filled_forms():
            raise ValidationError(gettext("Add at least one line: a product and a quantity."))

    def lines(self):
        return [form.line_data() for form in self.filled_forms()]


def line_formset(data=None, *, products, rows=(), blank=BLANK_LINES):
    """Bound to ``data``, or unbound showing ``rows`` (initial dicts) and ``blank`` rows.
    Bound rows get no initial values: an unchanged initial row would count as blank."""
    formset_class = forms.formset_factory(
        LineForm,
        formset=BaseLineFormSet,
        extra=len(rows) + blank,
        max_num=MAX_LINES,
        absolute_max=MAX_LINES,
        validate_max=True,
    )
    return formset_class(
        data,
        initial=None if data is not None else list(rows),
        prefix=LINES_PREFIX,
        form_kwargs={"products": products},
    )


def line_form(index, *, products):
    return LineForm(prefix=f"{LINES_PREFIX}-{index}", products=products)


def posted_rows(data, *, without=None):
    """The line rows of a posted form as initial dicts, for re-showing them after "Add
    line" or "Remove" without JavaScript (nothing is validated or saved then)."""
    return [
        {name: data.get(f"{LINES_PREFIX}-{index}-{name}", "") for name in LineForm.base_fields}
        for index in range(posted_line_count(data))
        if str(index) != without
    ]


def posted_line_count(data):
    try:
        count = int(data.get(f"{LINES_PREFIX}-TOTAL_FORMS"))
    except (TypeError, ValueError):
        return 0
    return min(max(count, 0), MAX_LINES)


class OrderFilterForm(forms.Form):
    search = forms.CharField(
        label=_("Customer or number"), required=False, widget=forms.TextInput({"type": "search"})
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *Order.Status.choices]
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=_DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=_DATE)
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=None, empty_label=_("Anyone")
    )

    def __init__(self, *args, show_owner, **kwargs):
        super().__init__(*args, **kwargs)
        if show_owner:
            self.fields["owner"].queryset = assignable_users()
        else:
            del self.fields["owner"]

    def filters(self):
        """Valid filters only: a mistyped date is ignored rather than failing the page."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            "search": cleaned.get("search") or "",
            "status": cleaned.get("status") or "",
            "date_from": cleaned.get("date_from"),
            "date_to": cleaned.get("date_to"),
            "owner": cleaned.get("owner"),
        }


# The list's "jump to" (core.jump.JumpForm) for each sort of
# orders.selectors.ORDER_LIST_SORTS: the day an order was placed, the start of its number
# (generated ones are in capitals, SO-0012345, and sorted as text, where "so" would come
# after every "SO") or a total in the base currency (the label's "currency"), as the
# column holds it.
JUMPS = {
    "date": Day(_("Go to orders placed on or after"), _("Go to orders placed on or before")),
    "number": Prefix(
        _("Go to order numbers starting with"),
        _("Go to order numbers starting with"),
        invalid=_("Enter the beginning of an order number."),
        max_length=Order._meta.get_field("number").max_length,
        normalize=str.upper,
        attrs={"autocapitalize": "characters", "size": "12"},
    ),
    "total": Number(
        _("Go to a total (%(currency)s) of at least"),
        _("Go to a total (%(currency)s) of at most"),
        digits=(MONEY["max_digits"], MONEY["decimal_places"]),
        min_value=0,
    ),
}


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount to refund"), **MONEY, min_value=Decimal("0.01"))


class CustomerCostForm(forms.ModelForm):
    currency = CurrencyField(label=_("Currency"))

    class Meta:
        model = CustomerCost
        fields = ["kind", "incurred_on", "amount", "currency", "note"]
        widgets = {"incurred_on": _DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = base_currency()


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "list_price", "unit_cost", "active"]


class ExchangeRateForm(forms.Form):
    currency = CurrencyField(label=_("Currency"))
    valid_on = forms.DateField(label=_("Valid from"), widget=_DATE)
    rate = forms.DecimalField(
        label=_("Rate"),
        **RATE,
        help_text=_("What one unit of the currency is worth in the base currency."),
    )

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        if rate <= 0:
            raise ValidationError(gettext("A rate must be more than zero."))
        return rate
