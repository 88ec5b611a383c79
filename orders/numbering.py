"""Order numbers. Pure (no Django), so the demo generator uses it as the services do."""


def order_number(sequence: int) -> str:
    """The generated number of an order: SO- and ``sequence`` in seven digits (SO-0019806),
    so numbers line up and sort as text up to 9,999,999. The order form, the API, imports
    and the demo data all number orders through this."""
    return f"SO-{sequence:07d}"
