"""The fields each import understands, how file headers are matched to them, and which
mappings are complete enough to run.

A mapping is ``{field name: column index}``; indexes survive duplicate or blank headers.
Export headers are the field names, or the fields' labels in the exporting user's language;
both map themselves on re-import, whatever the importer's language.
"""

import re
from dataclasses import dataclass
from itertools import zip_longest

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.languages import language_codes
from customers.models import Customer

from . import cells


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    aliases: tuple = ()
    required: bool = False
    help: str = ""


CUSTOMER_FIELDS = [
    Field(
        "external_id",
        gettext_lazy("External id"),
        ("id", "customerid", "customerexternalid", "extid", "customernumber", "accountid"),
        required=True,
        help=gettext_lazy("Matches existing customers; re-importing updates them."),
    ),
    Field(
        "name",
        gettext_lazy("Name"),
        ("customer", "customername", "company", "companyname", "account", "accountname"),
        required=True,
    ),
    Field("email", gettext_lazy("Email"), ("emailaddress", "mail")),
    Field("phone", gettext_lazy("Phone"), ("telephone", "tel", "phonenumber", "mobile")),
    Field(
        "kind",
        gettext_lazy("Kind"),
        ("type", "customertype"),
        help=gettext_lazy("company or person"),
    ),
    Field("status", gettext_lazy("Status"), help=gettext_lazy("lead, active or churned")),
    Field("region", gettext_lazy("Region"), ("area", "territory")),
    Field("industry", gettext_lazy("Industry"), ("sector",)),
    Field("website", gettext_lazy("Website"), ("url", "web", "homepage")),
    Field("address", gettext_lazy("Address"), ("postaladdress", "streetaddress")),
    Field("tags", gettext_lazy("Tags"), ("tag", "labels"), help=gettext_lazy("Separated by ;")),
    Field(
        "owner",
        gettext_lazy("Owner username"),
        ("ownerusername", "salesrep", "rep", "accountowner"),
        help=gettext_lazy("Managers only; a rep's import makes the rep the owner."),
    ),
    Field("acquired_on", gettext_lazy("Acquired on"), ("acquired", "acquisitiondate", "since")),
    Field(
        "acquisition_campaign",
        gettext_lazy("Acquisition campaign"),
        ("campaign", "acquiredbycampaign", "campaignname", "source"),
        help=gettext_lazy("The campaign's exact name."),
    ),
    Field(
        "marketing_opt_out",
        gettext_lazy("Marketing opt-out"),
        ("optout", "optedout", "unsubscribed", "donotemail"),
        help=gettext_lazy("yes or no"),
    ),
    Field(
        "language",
        gettext_lazy("Preferred language"),
        ("preferredlanguage", "lang", "locale"),
        help=gettext_lazy("A language code such as en or zh-hans; empty: the site default."),
    ),
    Field(
        "churned_on",
        gettext_lazy("Churned on"),
        ("churndate", "churned"),
        help=gettext_lazy("Needed when the status is churned."),
    ),
]

ORDER_FIELDS = [
    Field(
        "customer_external_id",
        gettext_lazy("Customer external id"),
        ("customer", "customerid", "externalid", "clientid", "custid", "accountid"),
        required=True,
    ),
    Field(
        "customer_name",
        gettext_lazy("Customer name"),
        ("name", "clientname", "company"),
        help=gettext_lazy("Used only for customers the import creates."),
    ),
    Field(
        "number",
        gettext_lazy("Order number"),
        ("ordernumber", "order", "orderid", "orderno", "invoice", "invoicenumber"),
        help=gettext_lazy("Optional: without it a key is computed from the row."),
    ),
    Field(
        "ordered_on",
        gettext_lazy("Date"),
        ("date", "orderdate", "ordered", "purchasedate", "purchasedon"),
        required=True,
    ),
    Field(
        "total",
        gettext_lazy("Total"),
        (
            "amount",
            "ordertotal",
            "orderamount",
            "ordervalue",
            "totalamount",
            "grandtotal",
            "value",
            "dollarvalue",
            "dollars",
            "revenue",
            "sales",
            "salesamount",
            "spend",
        ),
        help=gettext_lazy("One row per order: what the order came to."),
    ),
    Field(
        "sku",
        gettext_lazy("Product SKU"),
        ("product", "productsku", "item", "itemsku", "productcode"),
        help=gettext_lazy("One row per order line."),
    ),
    Field(
        "quantity",
        gettext_lazy("Quantity"),
        ("qty", "units", "count", "numberofitems"),
        help=gettext_lazy("Empty: 1."),
    ),
    Field(
        "unit_price",
        gettext_lazy("Unit price"),
        ("price", "itemprice", "priceeach"),
        help=gettext_lazy("Empty: the product's list price. Without a SKU: times the quantity."),
    ),
    Field(
        "discount",
        gettext_lazy("Discount"),
        ("linediscount",),
        help=gettext_lazy("An amount off the line."),
    ),
    Field(
        "currency",
        gettext_lazy("Currency"),
        ("curr", "currencycode"),
        help=gettext_lazy("Empty: the base currency."),
    ),
    Field(
        "status",
        gettext_lazy("Status"),
        ("orderstatus",),
        help=gettext_lazy("draft, placed, paid or cancelled; empty: paid."),
    ),
]

FIELDS = {"customers": CUSTOMER_FIELDS, "orders": ORDER_FIELDS}
# The fields read as dates, with the job's one date format.
DATE_FIELDS = {"customers": ("acquired_on", "churned_on"), "orders": ("ordered_on",)}


def fields_for(kind, *, can_reassign=True):
    fields = FIELDS[kind]
    if not can_reassign:
        fields = [f for f in fields if f.name != "owner"]
    return fields


def _normalise(header):
    return re.sub(r"[\W_]+", "", header.lower())


def _names(field):
    """The field's name and its label in each of the site's languages, normalised: a file
    exported with column names in a user's language (``dataio.exports``) maps itself back."""
    names = {_normalise(field.name)}
    for code in language_codes():
        with translation.override(code):
            names.add(_normalise(str(field.label)))
    return names


def guess_mapping(kind, headers, *, can_reassign=True):
    """{field: column index} for headers that name a field (its name, or its label in any
    of the site's languages) or one of its aliases."""
    normalised = [_normalise(header) for header in headers]
    taken = set()
    mapping = {}
    fields = fields_for(kind, can_reassign=can_reassign)
    names = {field.name: _names(field) for field in fields}
    # Exact field names and labels first, so "name" goes to the field called name, not an
    # alias.
    for pass_aliases in (False, True):
        for field in fields:
            if field.name in mapping:
                continue
            wanted = set(names[field.name])
            if pass_aliases:
                wanted |= {_normalise(alias) for alias in field.aliases}
            for index, header in enumerate(normalised):
                if index not in taken and header in wanted:
                    mapping[field.name] = index
                    taken.add(index)
                    break
    if kind == "orders":
        _one_amount(mapping)
    return mapping


def _one_amount(mapping):
    """Keep one way of pricing an order file: a line file's total is usually the line's or
    the order's, not an input; an order file with a total has no use for a unit price; and
    a lone "price" with no quantity beside it is what the order came to."""
    if "sku" in mapping:
        mapping.pop("total", None)
    elif "total" in mapping:
        mapping.pop("unit_price", None)
        mapping.pop("discount", None)
    elif "unit_price" in mapping and "quantity" not in mapping:
        mapping["total"] = mapping.pop("unit_price")


def _column_values(rows, width):
    columns = zip_longest(*rows, fillvalue="") if rows else [()] * width
    return [[cells.text(value) for value in column if value.strip()] for column in columns]


def _all(values, parse):
    try:
        for value in values:
            parse(value)
    except cells.CellError:
        return False
    return bool(values)


def guess_mapping_from_values(kind, rows):
    """{field: column index} for an order file without a header line, from its first rows:
    the first column that holds dates is the date, the first other column the customer,
    the last column of amounts with decimals the total, and a column of whole numbers the
    quantity. The mapping page shows the guess before anything is read."""
    if kind != "orders" or not rows:
        return {}
    values = _column_values(rows, max(len(row) for row in rows))
    mapping = {}
    dates = [i for i, column in enumerate(values) if column and cells.date_formats_of(column)]
    if dates:
        mapping["ordered_on"] = dates[0]
    others = [i for i, column in enumerate(values) if column and i not in mapping.values()]
    if not others:
        return mapping
    mapping["customer_external_id"] = others.pop(0)
    amounts = [
        i
        for i in others
        if _all(values[i], cells.parse_amount) and any("." in v for v in values[i])
    ]
    if amounts:
        mapping["total"] = amounts[-1]
        wholes = [i for i in others if i not in amounts and _all(values[i], cells.parse_quantity)]
        if wholes:
            mapping["quantity"] = wholes[0]
    return mapping


def detect(kind, shape, *, can_reassign=True):
    """(mapping, options) guessed from the start of a file (a ``parsing.FileShape``): the
    mapping from the column names, or from the values when there is no header line; the
    delimiter, whether the first line names the columns, and the date format."""
    if shape.has_header:
        mapping = guess_mapping(kind, shape.headers, can_reassign=can_reassign)
    else:
        mapping = guess_mapping_from_values(kind, shape.rows)
    date_format, fitting = detect_date_format(kind, mapping, shape.rows)
    options = {"delimiter": shape.delimiter, "date_format": date_format}
    if len(fitting) > 1:
        options["date_formats"] = fitting
    if not shape.has_header:
        options["header"] = False
    return mapping, options


def detect_date_format(kind, mapping, rows):
    """(date format, the formats that fit) from the mapped date columns of the first rows.
    The format is "" when several fit (no day above 12: DD/MM or MM/DD?), so that a person
    chooses; "iso" when none does or there are no dates (validation then names the rows)."""
    values = [
        cells.text(row[mapping[name]])
        for name in DATE_FIELDS[kind]
        if name in mapping
        for row in rows
        if mapping[name] < len(row)
    ]
    fitting = cells.date_formats_of(values)
    if len(fitting) == 1:
        return fitting[0], fitting
    return ("" if fitting else "iso"), fitting


def is_line_file(mapping):
    return "sku" in mapping


def date_format_problem(kind, mapping, options):
    """Why the date format cannot be used, or None."""
    if not any(name in mapping for name in DATE_FIELDS[kind]):
        return None
    if options.get("date_format", "iso") in dict(cells.DATE_FORMATS):
        return None
    fitting = [cells.date_format_label(code) for code in options.get("date_formats", ())]
    if len(fitting) == 2:
        return _(
            "The dates fit both %(first)s and %(second)s (no day above 12 in the first "
            "rows): choose the one the file uses under “Dates look like”."
        ) % {"first": fitting[0], "second": fitting[1]}
    return _("Choose how the file writes dates under “Dates look like”.")


def mapping_errors(kind, mapping, *, headers, options, can_reassign=True):
    """What keeps a mapping from running, as messages; empty when it can run."""
    errors = []
    known = {f.name: f for f in FIELDS[kind]}
    for name, index in mapping.items():
        if name not in known:
            errors.append(_("“%(name)s” is not a field of this import.") % {"name": name})
        elif not isinstance(index, int) or not 0 <= index < len(headers):
            errors.append(
                _("%(field)s is mapped to a column the file does not have.")
                % {"field": known[name].label}
            )
    required = [f for f in FIELDS[kind] if f.required]
    if kind == "customers" and options.get("without_external_id"):
        required = [f for f in required if f.name != "external_id"]
    errors += [
        _("Map a column to %(field)s: it is required.") % {"field": f.label}
        for f in required
        if f.name not in mapping
    ]
    if kind == "customers" and "owner" in mapping and not can_reassign:
        errors.append(_("Only managers can set owners; leave the owner column unmapped."))
    problem = date_format_problem(kind, mapping, options)
    if problem:
        errors.append(problem)
    if kind == "orders":
        errors += _order_mapping_errors(mapping, options)
    return errors


def _order_mapping_errors(mapping, options):
    errors = []
    if "sku" in mapping:
        if "total" in mapping:
            errors.append(
                _(
                    "Map either Total (one row per order) or Product SKU (one row per line), "
                    "not both."
                )
            )
        if "quantity" not in mapping:
            errors.append(_("Map a column to Quantity: one row per line needs it."))
    elif "total" in mapping and "unit_price" in mapping:
        errors.append(
            _("Map either Total or Unit price (times the quantity) for each order, not both.")
        )
    elif "total" not in mapping and "unit_price" not in mapping:
        errors.append(_("Map Total (one row per order) or Product SKU (one row per order line)."))
    if "discount" in mapping and "sku" not in mapping and "unit_price" not in mapping:
        errors.append(_("A discount is taken off a unit price: map Unit price too."))
    if options.get("new_customer_kind", Customer.Kind.COMPANY) not in Customer.Kind.values:
        errors.append(_("Create unknown customers as companies or as persons."))
    return errors
