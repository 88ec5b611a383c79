"""Campaign pages. Everyone with ``campaigns.view_campaign`` reads them; only admins
(the add/change/delete permissions) write, and anyone else gets 403."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.pagination import count_up_to, keyset_paginate, paginate
from core.web import add_service_errors, permission_required, render_page, wants_fragment
from customers.selectors import can_see_all_customers

from . import selectors, services
from .forms import CampaignFilterForm, CampaignForm, SpendEntryForm

ACQUIRED_TARGET = "acquired-customers"


def _as_of(request):
    """The date the figures are for: ``?as_of=YYYY-MM-DD``, else today."""
    try:
        return dt.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return timezone.localdate()


def _permissions(user):
    return {
        "can_add": user.has_perm("campaigns.add_campaign"),
        "can_change": user.has_perm("campaigns.change_campaign"),
        "can_delete": user.has_perm("campaigns.delete_campaign"),
        "can_add_spend": user.has_perm("campaigns.add_spendentry"),
        "can_delete_spend": user.has_perm("campaigns.delete_spendentry"),
    }


@permission_required("campaigns.view_campaign")
def campaign_list(request):
    filters = CampaignFilterForm(request.GET)
    as_of = filters.value("as_of", timezone.localdate())
    search, channel = filters.value("q", ""), filters.value("channel", "")
    active_on = filters.value("active_on")
    campaigns = selectors.campaign_list(
        user=request.user, search=search, channel=channel, active_on=active_on
    )
    page = paginate(campaigns, request.GET.get("page"))
    stats = selectors.campaign_stats(user=request.user, campaigns=page.items, as_of=as_of)
    context = {
        "filters": filters,
        "page": page,
        "count": count_up_to(campaigns, page),
        "rows": [(campaign, stats[campaign.pk]) for campaign in page.items],
        "filtered": bool(search or channel or active_on),
        "as_of": as_of,
        "currency": settings.CRM_BASE_CURRENCY,
        **_permissions(request.user),
    }
    return render_page(request, "campaigns/list.html", context, partial="results")


def _acquired_context(request, campaign):
    return {
        "campaign": campaign,
        "acquired_page": keyset_paginate(
            selectors.campaign_customers(user=request.user, campaign=campaign),
            selectors.CUSTOMERS_ORDER,
            cursor=request.GET.get("cursor"),
        ),
        "acquired_target": ACQUIRED_TARGET,
        "only_own_customers": not can_see_all_customers(request.user),
    }


def _money_context(request, campaign, spend_form):
    as_of = _as_of(request)
    return {
        "campaign": campaign,
        "as_of": as_of,
        "stats": selectors.campaign_stats(user=request.user, campaigns=[campaign], as_of=as_of)[
            campaign.pk
        ],
        "spend_entries": selectors.spend_entries_of(campaign),
        "spend_form": spend_form,
        "currency": settings.CRM_BASE_CURRENCY,
        "only_own_customers": not can_see_all_customers(request.user),
        **_permissions(request.user),
    }


def _render_detail(request, campaign, spend_form, status=200):
    context = {
        **_money_context(request, campaign, spend_form),
        **_acquired_context(request, campaign),
        "history": selectors.campaign_history(campaign),
        "history_limit": selectors.HISTORY_LIMIT,
    }
    return render_page(request, "campaigns/detail.html", context, status=status)


@permission_required("campaigns.view_campaign")
def campaign_detail(request, pk):
    campaign = selectors.campaign_get(user=request.user, campaign_id=pk)
    if wants_fragment(request) and request.htmx.target == ACQUIRED_TARGET:
        return render_page(
            request, "campaigns/detail.html#acquired", _acquired_context(request, campaign)
        )
    return _render_detail(request, campaign, SpendEntryForm())


@permission_required("campaigns.add_campaign")
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Campaign created."))
            return redirect(campaign)
    return render_page(request, "campaigns/form.html", {"form": form})


@permission_required("campaigns.change_campaign")
def campaign_update(request, pk):
    campaign = selectors.campaign_get(user=request.user, campaign_id=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(user=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect(campaign)
    # The heading names the saved campaign, not the edits a failed form left on the instance.
    saved = selectors.campaign_get(user=request.user, campaign_id=pk)
    return render_page(request, "campaigns/form.html", {"form": form, "campaign": saved})


@permission_required("campaigns.delete_campaign")
def campaign_delete(request, pk):
    campaign = selectors.campaign_get(user=request.user, campaign_id=pk)
    if request.method == "POST":
        services.campaign_delete(user=request.user, campaign=campaign)
        messages.success(request, _("Campaign “%(name)s” deleted.") % {"name": campaign.name})
        return redirect("campaigns:list")
    context = {
        "campaign": campaign,
        "spend_entry_count": campaign.spend_entries.count(),
        "acquired_count": campaign.acquired_customers.count(),
    }
    return render_page(request, "campaigns/confirm_delete.html", context)


@permission_required("campaigns.add_spendentry")
@require_POST
def spend_add(request, pk):
    """Add a spend entry. htmx swaps the figures and ledger in place; without JS the
    page reloads (or re-renders with the errors)."""
    campaign = selectors.campaign_get(user=request.user, campaign_id=pk)
    form = SpendEntryForm(request.POST)
    if form.is_valid():
        try:
            services.spend_entry_add(user=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if request.htmx:
                context = _money_context(request, campaign, SpendEntryForm())
                return render_page(request, "campaigns/detail.html#money", context)
            messages.success(request, _("Spend added."))
            return redirect(campaign)
    if request.htmx:
        return render_page(
            request, "campaigns/detail.html#money", _money_context(request, campaign, form)
        )
    return _render_detail(request, campaign, form)


@permission_required("campaigns.delete_spendentry")
def spend_delete(request, pk, entry_pk):
    campaign = selectors.campaign_get(user=request.user, campaign_id=pk)
    entry = selectors.spend_entry_get(user=request.user, campaign=campaign, entry_id=entry_pk)
    if request.method == "POST":
        services.spend_entry_delete(user=request.user, spend_entry=entry)
        messages.success(request, _("Spend entry deleted."))
        return redirect(campaign)
    return render_page(request, "campaigns/confirm_spend_delete.html", {"entry": entry})
