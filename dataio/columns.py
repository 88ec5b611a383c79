"""The fields each import understands, how file headers are matched to them, and which
mappings are complete enough to run.

A mapping is ``{field name: column index}``; indexes survive duplicate or blank headers.
Export headers are the field names, so an exported file maps itself on re-import.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


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
        ("amount", "ordertotal", "value"),
        help=gettext_lazy("One row per order."),
    ),
    Field(
        "sku",
        gettext_lazy("Product SKU"),
        ("product", "productsku", "item", "itemsku", "productcode"),
        help=gettext_lazy("One row per order line."),
    ),
    Field("quantity", gettext_lazy("Quantity"), ("qty", "units", "count")),
    Field(
        "unit_price",
        gettext_lazy("Unit price"),
        ("price", "itemprice"),
        help=gettext_lazy("Empty: the product's list price."),
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
# Order file columns that only make sense one row per line.
LINE_FIELDS = ("sku", "quantity", "unit_price", "discount")


def fields_for(kind, *, can_reassign=True):
    fields = FIELDS[kind]
    if not can_reassign:
        fields = [f for f in fields if f.name != "owner"]
    return fields


def _normalise(header):
    return re.sub(r"[\W_]+", "", header.lower())


def guess_mapping(kind, headers, *, can_reassign=True):
    """{field: column index} for headers that name a field or one of its aliases."""
    normalised = [_normalise(header) for header in headers]
    taken = set()
    mapping = {}
    fields = fields_for(kind, can_reassign=can_reassign)
    # Exact field names first, so "name" goes to the field called name, not an alias.
    for pass_aliases in (False, True):
        for field in fields:
            if field.name in mapping:
                continue
            wanted = {_normalise(field.name)}
            if pass_aliases:
                wanted |= {_normalise(alias) for alias in field.aliases}
            for index, header in enumerate(normalised):
                if index not in taken and header in wanted:
                    mapping[field.name] = index
                    taken.add(index)
                    break
    if kind == "orders" and "sku" in mapping:
        # A line file's total column is usually the line or order total, not an input.
        mapping.pop("total", None)
    return mapping


def is_line_file(mapping):
    return "sku" in mapping


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
    if kind == "orders":
        if "sku" in mapping and "total" in mapping:
            errors.append(
                _(
                    "Map either Total (one row per order) or Product SKU (one row per line), "
                    "not both."
                )
            )
        elif "sku" not in mapping and "total" not in mapping:
            errors.append(
                _("Map Total (one row per order) or Product SKU (one row per order line).")
            )
        if "sku" in mapping and "quantity" not in mapping:
            errors.append(_("Map a column to Quantity: one row per line needs it."))
        if "sku" not in mapping:
            errors += [
                _("%(field)s needs one row per line: map Product SKU too.")
                % {"field": known[name].label}
                for name in LINE_FIELDS
                if name in mapping
            ]
    return errors
