"""Signals the value engine sends, for higher layers (the API's webhooks) to subscribe to."""

from django.dispatch import Signal

# Sent inside the transaction of a write that moved customers to another tier, once per
# write (a receiver's error rolls the write back; what it records commits with it):
# ``changes`` is a list of dicts with ``customer``, ``tier``, ``previous_tier``,
# ``value_score``, ``as_of`` (a date) and ``run`` (the full run's id, None for an
# incremental recalculation).
tier_changed = Signal()
