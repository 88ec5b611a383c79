"""Writes that go round the customer services but change what the lists offer: a user
saved or deleted (in the admin, at sign-up) or a tag edited in the admin changes the owner
and tag filters, cached by ``selectors.filter_choices``; a customer saved anywhere (the
services, the admin, a merge) may bring its owner or everyone a region the cached lists
lack (``selectors.regions_in_use``). Bulk writes send no signal and say so themselves."""

from .services import filter_choices_changed, regions_changed


def chooser_changed(sender, instance, update_fields=None, raw=False, **kwargs):
    # Every sign-in saves the user's last_login, which no filter shows.
    if raw or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    filter_choices_changed()


def customer_saved(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or (update_fields is not None and not {"owner", "region"} & set(update_fields)):
        return
    regions_changed(customers=[instance])
