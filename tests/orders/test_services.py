import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from customers.services import customer_merge
from orders import services
from orders.models import CustomerCost, Order, OrderLine
from orders.money import rate_on
from orders.services import LineData
from tests.factories import CustomerFactory

from .factories import CustomerCostFactory, ExchangeRateFactory, OrderFactory, ProductFactory

MARCH_1 = dt.date(2026, 3, 1)


@pytest.fixture
def customer(owner):
    return CustomerFactory(owner=owner)


@pytest.fixture
def widget(db):
    return ProductFactory(name="Widget", list_price=D("19.99"), unit_cost=D("7.50"))


def create(owner, customer, lines, **fields):
    fields = {"ordered_on": MARCH_1, "currency": "USD", "number": "", **fields}
    return services.order_create(user=owner, customer=customer, lines=lines, **fields)


def nothing_written():
    return not Order.objects.exists() and not OrderLine.objects.exists()


# --- Totals, prices and costs ---------------------------------------------------------


def test_order_totals_from_several_lines_with_discounts(owner, customer, widget):
    gadget = ProductFactory(list_price=D("0.35"), unit_cost=D("0.13"))
    order = create(
        owner,
        customer,
        [LineData(widget, 3, None, D("5.00")), LineData(gadget, 7, D("0.33"), D("0.01"))],
    )
    order.refresh_from_db()
    assert order.subtotal == D("62.28")  # 59.97 + 2.31
    assert order.discount_total == D("5.01")
    assert order.total == D("57.27")
    assert order.cost_total == D("23.41")  # 22.50 + 0.91
    assert (order.exchange_rate, order.total_base, order.cost_base) == (1, D("57.27"), D("23.41"))
    line = order.lines.get(product=widget)
    assert (line.unit_price, line.unit_cost) == (D("19.99"), D("7.50"))


def test_prices_with_fractions_of_cents_are_refused(owner, customer, widget):
    with pytest.raises(ValidationError) as excinfo:
        create(owner, customer, [(widget, 1, D("0.335"))])
    assert excinfo.value.messages == [
        "Line 1: Ensure that there are no more than 2 decimal places."
    ]
    assert nothing_written()


def test_base_total_is_rounded_half_up_to_cents(owner, customer, widget):
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=D("1.0825"))
    order = create(owner, customer, [(widget, 3, D("33.33"))], currency="EUR")
    assert order.total == D("99.99")
    assert order.total_base == D("108.24")  # 108.239175
    # The catalogue cost 7.50 (base) is 6.93 EUR a unit: 20.79 EUR × 1.0825 = 22.505675.
    assert order.lines.get().unit_cost == D("6.93")
    assert order.cost_base == D("22.51")


def test_catalogue_prices_convert_into_the_order_currency(owner, customer, widget):
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=D("1.25"))
    order = create(owner, customer, [(widget, 2)], currency="EUR")
    line = order.lines.get()
    assert (line.unit_price, line.unit_cost) == (
        (widget.list_price / D("1.25")).quantize(D("0.01")),
        (widget.unit_cost / D("1.25")).quantize(D("0.01")),
    )
    assert order.total_base == (line.unit_price * 2 * D("1.25")).quantize(D("0.01"))


def test_unit_cost_is_copied_at_order_time(owner, customer, widget):
    order = create(owner, customer, [(widget, 2)])
    widget.unit_cost = D("9.00")
    widget.list_price = D("25.00")
    widget.save()
    order.refresh_from_db()
    assert order.lines.get().unit_cost == D("7.50")
    assert order.cost_total == D("15.00")


def test_editing_keeps_the_cost_a_product_joined_the_order_with(owner, customer, widget):
    order = create(owner, customer, [(widget, 2)])
    widget.unit_cost = D("9.00")
    widget.save()
    new_product = ProductFactory(unit_cost=D("1.00"))

    order = services.order_update(
        user=owner,
        order=order,
        customer=customer,
        number=order.number,
        ordered_on=MARCH_1,
        currency="USD",
        lines=[(widget, 3), (new_product, 1)],
    )

    assert order.cost_total == D("23.50")  # 3 × 7.50 (kept) + 1 × 1.00
    assert order.lines.count() == 2


# --- Currency -------------------------------------------------------------------------


def test_order_in_another_currency_uses_the_latest_rate_on_or_before_its_date(
    owner, customer, widget
):
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=D("1.05"))
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 2, 15), rate=D("1.10"))
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 3, 2), rate=D("2.00"))

    order = create(owner, customer, [(widget, 1, D("100.00"))], currency="EUR")

    assert order.exchange_rate == D("1.10")
    assert order.total == D("100.00")
    assert order.total_base == D("110.00")
    # The catalogue cost, 7.50 in the base currency, is 6.82 EUR: back in base, 7.50.
    assert order.cost_base == D("7.50")


def test_a_rate_changed_later_does_not_change_the_order(owner, customer, widget):
    rate = ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 2, 1), rate=D("1.10"))
    order = create(owner, customer, [(widget, 1, D("100.00"))], currency="EUR")
    rate.rate = D("1.50")
    rate.save()
    order.refresh_from_db()
    assert (order.exchange_rate, order.total_base) == (D("1.10"), D("110.00"))


def test_base_currency_needs_no_rate():
    assert rate_on(currency="USD", on=MARCH_1) == 1


def test_missing_rate_is_a_clear_error_and_nothing_is_written(owner, customer, widget):
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 3, 2))
    with pytest.raises(ValidationError) as excinfo:
        create(owner, customer, [(widget, 1)], currency="EUR")
    assert excinfo.value.message_dict["currency"] == [
        "No exchange rate for EUR on or before 2026-03-01; "
        "an admin can add one under Exchange rates."
    ]
    assert nothing_written()


def test_cost_is_converted_at_its_date(owner, customer):
    ExchangeRateFactory(currency="GBP", valid_on=dt.date(2026, 1, 1), rate=D("1.25"))
    cost = CustomerCostFactory(
        customer=customer, amount=D("10.01"), currency="GBP", incurred_on=MARCH_1
    )
    assert cost.amount_base == D("12.51")  # 12.5125


def test_cost_without_rate_is_refused(owner, customer):
    with pytest.raises(ValidationError) as excinfo:
        CustomerCostFactory(customer=customer, currency="JPY")
    assert "No exchange rate for JPY on or before 2026-03-01" in str(excinfo.value)
    assert not CustomerCost.objects.exists()


def test_cost_delete(owner, customer):
    cost = CustomerCostFactory(customer=customer)
    services.customer_cost_delete(user=owner, cost=cost)
    assert not CustomerCost.objects.exists()


# --- Bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ((0, None, D("0")), "Line 1: Quantity must be at least 1."),
        ((-2, None, D("0")), "Line 1: Quantity must be at least 1."),
        ((1, D("-1.00"), D("0")), "Line 1: Unit price cannot be negative."),
        ((2, D("5.00"), D("10.01")), "Line 1: Discount cannot exceed the line amount."),
        ((1, None, D("-1")), "Line 1: Discount cannot be negative."),
    ],
)
def test_bad_lines_give_clear_errors_and_write_nothing(owner, customer, widget, line, message):
    with pytest.raises(ValidationError) as excinfo:
        create(owner, customer, [(widget, *line)])
    assert message in excinfo.value.messages
    assert nothing_written()


def test_no_lines_is_refused(owner, customer):
    with pytest.raises(ValidationError) as excinfo:
        create(owner, customer, [])
    assert excinfo.value.messages == ["An order needs at least one line."]
    assert nothing_written()


def test_line_without_product_is_refused(owner, customer, widget):
    with pytest.raises(ValidationError) as excinfo:
        create(owner, customer, [(widget, 1), (None, 1)])
    assert excinfo.value.messages == ["Line 2: choose a product."]
    assert nothing_written()


def test_malformed_currency_is_reported_as_such(owner, customer, widget):
    with pytest.raises(ValidationError) as excinfo:
        create(owner, customer, [(widget, 1)], currency="euro")
    assert "currency" in excinfo.value.message_dict
    assert "No exchange rate" not in str(excinfo.value)


# --- Numbers --------------------------------------------------------------------------


def test_numbers_are_generated_when_omitted(owner, customer, widget):
    first = create(owner, customer, [(widget, 1)])
    second = create(owner, customer, [(widget, 1)])
    # SO- and the next number after the highest order id; ids are not reused.
    assert re.fullmatch(r"SO-\d{7}", first.number)
    assert re.fullmatch(r"SO-\d{7}", second.number)
    assert int(second.number[3:]) > int(first.number[3:])


def test_generated_number_skips_one_typed_by_hand(owner, customer, widget):
    taken = create(owner, customer, [(widget, 1)], number="SO-0000002")
    generated = create(owner, customer, [(widget, 1)])
    assert generated.number not in ("", taken.number)
    assert generated.number.startswith("SO-")


def test_a_generated_number_is_the_orders_id_and_a_hand_typed_one_moves_it_on(
    owner, customer, widget
):
    # Drawn with the id: concurrent orders never wait on each other's number (issue 14).
    # Orders deleted before leave the ids they took behind (the sequence, or SQLite's
    # AUTOINCREMENT, does not go back): the number still follows the id.
    for _ in range(3):
        create(owner, customer, [(widget, 1)])
    Order.objects.all().delete()
    first = create(owner, customer, [(widget, 1)])
    assert first.number == f"SO-{first.pk:07d}"
    create(owner, customer, [(widget, 1)], number=f"SO-{first.pk + 2:07d}")

    after = create(owner, customer, [(widget, 1)])

    assert after.number == f"SO-{first.pk + 3:07d}"
    assert Order.objects.filter(number=after.number).count() == 1


def test_number_must_be_unique(owner, customer, widget):
    create(owner, customer, [(widget, 1)], number="A-1")
    with pytest.raises(ValidationError) as excinfo:
        create(owner, customer, [(widget, 1)], number="A-1")
    assert excinfo.value.message_dict["number"] == [
        "Order number A-1 is already taken; choose another."
    ]
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 1


# --- Update ---------------------------------------------------------------------------


def test_update_replaces_lines_and_recomputes(owner, customer, widget):
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=D("1.20"))
    order = create(owner, customer, [(widget, 1)])
    order = services.order_update(
        user=owner,
        order=order,
        customer=customer,
        number="NEW-1",
        ordered_on=dt.date(2026, 3, 5),
        currency="EUR",
        lines=[(widget, 2, D("50.00"), D("10.00"))],
        note="changed",
    )
    order.refresh_from_db()
    assert (order.number, order.currency, order.note) == ("NEW-1", "EUR", "changed")
    assert (order.total, order.total_base, order.exchange_rate) == (
        D("90.00"),
        D("108.00"),
        D("1.2"),
    )
    assert order.lines.count() == 1


def test_update_with_bad_lines_keeps_the_old_ones(owner, customer, widget):
    order = create(owner, customer, [(widget, 1)])
    with pytest.raises(ValidationError):
        services.order_update(
            user=owner,
            order=order,
            customer=customer,
            number=order.number,
            ordered_on=MARCH_1,
            currency="USD",
            lines=[(widget, 0)],
        )
    order.refresh_from_db()
    assert order.total == D("19.99")
    assert order.lines.get().quantity == 1


@pytest.mark.parametrize("final", ["cancelled", "refunded"])
def test_cancelled_or_refunded_order_cannot_be_edited(owner, customer, widget, final):
    order = create(
        owner, customer, [(widget, 1)], status="paid" if final == "refunded" else "placed"
    )
    services.order_set_status(user=owner, order=order, status=final)
    with pytest.raises(ValidationError) as excinfo:
        services.order_update(
            user=owner,
            order=order,
            customer=customer,
            number=order.number,
            ordered_on=MARCH_1,
            currency="USD",
            lines=[(widget, 5)],
        )
    assert "cannot be edited" in excinfo.value.messages[0]
    order.refresh_from_db()
    assert order.total == D("19.99")


def test_update_cannot_go_below_the_refunded_amount(owner, customer, widget):
    order = create(owner, customer, [(widget, 2)], status="paid")
    services.order_refund(user=owner, order=order, amount=D("30.00"))
    with pytest.raises(ValidationError) as excinfo:
        services.order_update(
            user=owner,
            order=order,
            customer=customer,
            number=order.number,
            ordered_on=MARCH_1,
            currency="USD",
            lines=[(widget, 1)],
        )
    assert "already refunded" in excinfo.value.messages[0]


# --- Status and refunds ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("draft", "placed"),
        ("draft", "cancelled"),
        ("placed", "paid"),
        ("placed", "cancelled"),
        ("paid", "refunded"),
    ],
)
def test_allowed_transitions(owner, customer, widget, start, target):
    order = create(owner, customer, [(widget, 1)], status=start)
    order = services.order_set_status(user=owner, order=order, status=target)
    order.refresh_from_db()
    assert order.status == target


@pytest.mark.parametrize(
    ("start", "target"),
    [
        ("draft", "paid"),
        ("draft", "refunded"),
        ("placed", "draft"),
        ("placed", "refunded"),
        ("paid", "placed"),
        ("paid", "cancelled"),
        ("paid", "bogus"),
    ],
)
def test_forbidden_transitions(owner, customer, widget, start, target):
    order = create(owner, customer, [(widget, 1)], status=start)
    with pytest.raises(ValidationError) as excinfo:
        services.order_set_status(user=owner, order=order, status=target)
    assert excinfo.value.messages[0].startswith("An order cannot go from")
    order.refresh_from_db()
    assert order.status == start


def test_final_statuses_go_nowhere(owner, customer, widget):
    order = create(owner, customer, [(widget, 1)], status="placed")
    services.order_set_status(user=owner, order=order, status="cancelled")
    for target in ("draft", "placed", "paid", "refunded"):
        with pytest.raises(ValidationError):
            services.order_set_status(user=owner, order=order, status=target)


def test_a_new_order_cannot_start_cancelled(owner, customer, widget):
    with pytest.raises(ValidationError):
        create(owner, customer, [(widget, 1)], status="cancelled")
    assert nothing_written()


def test_cancel_keeps_the_order_and_takes_it_out_of_counted(owner, customer, widget):
    order = create(owner, customer, [(widget, 1)])
    services.order_set_status(user=owner, order=order, status="cancelled")
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert order.total == D("19.99")
    assert order.lines.count() == 1
    assert not Order.objects.purchases().exists()


def test_full_refund_refunds_the_total(owner, customer, widget):
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=D("1.1"))
    order = create(owner, customer, [(widget, 1, D("10.01"))], currency="EUR", status="paid")
    order = services.order_set_status(user=owner, order=order, status="refunded")
    order.refresh_from_db()
    assert (order.refunded_total, order.refunded_base) == (D("10.01"), D("11.01"))
    assert order.net_base == 0


def test_partial_refunds_keep_the_order_paid_until_they_reach_the_total(owner, customer, widget):
    ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=D("1.5"))
    order = create(owner, customer, [(widget, 1, D("100.00"))], currency="EUR", status="paid")

    order = services.order_refund(user=owner, order=order, amount=D("33.33"))
    assert (order.status, order.refunded_total, order.refunded_base) == (
        "paid",
        D("33.33"),
        D("50.00"),
    )

    with pytest.raises(ValidationError) as excinfo:
        services.order_refund(user=owner, order=order, amount=D("66.68"))
    assert excinfo.value.message_dict["amount"] == ["At most €66.67 is left to refund."]

    order = services.order_refund(user=owner, order=order, amount=D("66.67"))
    order.refresh_from_db()
    assert order.status == "refunded"
    assert (order.refunded_total, order.refunded_base) == (order.total, order.total_base)


@pytest.mark.parametrize("amount", [D("0"), D("-5")])
def test_refund_must_be_positive(owner, customer, widget, amount):
    order = create(owner, customer, [(widget, 1)], status="paid")
    with pytest.raises(ValidationError):
        services.order_refund(user=owner, order=order, amount=amount)
    order.refresh_from_db()
    assert order.refunded_total == 0


def test_only_paid_orders_are_refunded(owner, customer, widget):
    order = create(owner, customer, [(widget, 1)], status="placed")
    with pytest.raises(ValidationError) as excinfo:
        services.order_refund(user=owner, order=order, amount=D("1.00"))
    assert excinfo.value.messages == ["Only a paid order can be refunded."]


def test_history_records_who_changed_what(owner, customer, widget):
    order = create(owner, customer, [(widget, 1)])
    services.order_set_status(user=owner, order=order, status="paid")
    latest = order.history.latest()
    assert latest.history_user == owner
    assert latest.diff_against(latest.prev_record).changed_fields == ["status"]


# --- Merge ----------------------------------------------------------------------------


def test_merge_moves_orders_and_costs_to_the_survivor(owner, widget):
    survivor = CustomerFactory(owner=owner)
    duplicate = CustomerFactory(owner=owner)
    kept = OrderFactory(customer=survivor)
    moved = OrderFactory(customer=duplicate, lines=[(widget, 2)])
    cost = CustomerCostFactory(customer=duplicate)

    customer_merge(user=owner, survivor=survivor, duplicate=duplicate)

    moved.refresh_from_db()
    cost.refresh_from_db()
    assert moved.customer == survivor
    assert moved.lines.count() == 1
    assert cost.customer == survivor
    assert set(survivor.orders.all()) == {kept, moved}
    assert moved.history.latest().history_user == owner


# --- Products and rates ---------------------------------------------------------------


def test_rate_set_replaces_the_rate_of_that_day(admin_user):
    services.exchange_rate_set(user=admin_user, currency="EUR", valid_on=MARCH_1, rate=D("1.1"))
    services.exchange_rate_set(user=admin_user, currency="EUR", valid_on=MARCH_1, rate=D("1.2"))
    assert rate_on(currency="EUR", on=MARCH_1) == D("1.2")


@pytest.mark.parametrize(
    ("currency", "rate", "field"), [("USD", D("1"), "currency"), ("EUR", D("0"), "rate")]
)
def test_rate_set_refuses_base_currency_and_zero(admin_user, currency, rate, field):
    with pytest.raises(ValidationError) as excinfo:
        services.exchange_rate_set(user=admin_user, currency=currency, valid_on=MARCH_1, rate=rate)
    assert field in excinfo.value.message_dict


def test_product_sku_is_unique(admin_user):
    ProductFactory(sku="A1")
    with pytest.raises(ValidationError) as excinfo:
        services.product_create(
            user=admin_user, sku="A1", name="X", list_price=D("1"), unit_cost=D("1")
        )
    assert "sku" in excinfo.value.message_dict
