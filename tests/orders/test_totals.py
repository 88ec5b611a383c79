from decimal import Decimal as D

from orders.totals import LineInput, margin, order_totals, refunded_after, validate_line


def test_totals_of_several_lines_with_discounts_in_cents():
    lines = [
        LineInput(quantity=3, unit_price=D("19.99"), unit_cost=D("7.335"), discount=D("5.00")),
        LineInput(quantity=1, unit_price=D("0.10"), unit_cost=D("0.04")),
        LineInput(quantity=7, unit_price=D("1.005"), unit_cost=D("0.50"), discount=D("0.015")),
    ]
    totals = order_totals(lines)
    # 59.97 + 0.10 + 7.04 (7.035 rounds half up)
    assert totals.subtotal == D("67.11")
    assert totals.discount_total == D("5.02")
    assert totals.total == D("62.09")
    # 22.01 (22.005 half up) + 0.04 + 3.50
    assert totals.cost_total == D("25.55")
    assert totals.margin == D("36.54")


def test_base_totals_convert_the_rounded_order_total():
    lines = [LineInput(quantity=3, unit_price=D("33.33"), unit_cost=D("10.00"))]
    totals = order_totals(lines, rate=D("1.08250000"))
    assert totals.total == D("99.99")
    assert totals.total_base == D("108.24")  # 99.99 × 1.0825 = 108.239175
    assert totals.cost_base == D("32.48")  # 30.00 × 1.0825 = 32.475
    assert totals.margin_base == D("75.76")


def test_line_validation_messages():
    assert validate_line(LineInput(0, D("1"), D("0"))) == ["Quantity must be at least 1."]
    assert validate_line(LineInput(1, D("-1"), D("0"))) == ["Unit price cannot be negative."]
    assert validate_line(LineInput(2, D("5.00"), D("0"), D("10.01"))) == [
        "Discount cannot exceed the line amount."
    ]
    assert validate_line(LineInput(2, D("5.00"), D("0"), D("10.00"))) == []


def test_partial_refunds_convert_the_running_sum():
    refunded, base = refunded_after(refunded_total=D("0"), amount=D("33.33"), rate=D("1.5"))
    assert (refunded, base) == (D("33.33"), D("50.00"))  # 49.995 half up
    refunded, base = refunded_after(refunded_total=refunded, amount=D("66.67"), rate=D("1.5"))
    assert (refunded, base) == (D("100.00"), D("150.00"))


def test_margin():
    assert margin(D("100.00"), D("60.555")) == D("39.44")
