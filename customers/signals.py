from django.dispatch import Signal

# Sent inside customer_merge's transaction, before the duplicate is deleted. Apps that
# attach rows to a customer (orders, costs, survey history) connect a receiver that moves
# them: receiver(sender, survivor, duplicate, user, **kwargs). An exception rolls the whole
# merge back.
customer_merging = Signal()
