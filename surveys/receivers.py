"""Receivers of other apps' signals."""

from .models import Invitation


def move_invitations(sender, *, survivor, duplicate, **kwargs):
    """customers.signals.customer_merging: the duplicate's survey history (invitations and,
    through them, answers) joins the survivor. Both keep counting: one answer per
    invitation."""
    Invitation.objects.filter(customer=duplicate).update(customer=survivor)
