"""Browser pages: a user's API keys (on their profile menu) and the webhooks (admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.pagination import keyset_paginate, paginate
from core.web import add_service_errors, permission_required, render_page

from .. import keys
from ..forms import ApiKeyForm, WebhookForm
from ..webhooks import selectors, services
from ..webhooks.models import Webhook, WebhookDelivery

DELIVERY_LOG_TARGET = "#delivery-log"


# --- API keys --------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    """List and create. A new key is shown in full on this response only (never stored,
    never redirected to, not cached)."""
    form = ApiKeyForm(request.POST or None)
    created = raw_key = None
    if request.method == "POST" and form.is_valid():
        created, raw_key = keys.api_key_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
        )
        form = ApiKeyForm()
    context = {
        "form": form,
        # A cursor not made here shows the first page.
        "page": keyset_paginate(
            keys.api_key_list(user=request.user), keys.KEYS_ORDER, cursor=request.GET.get("cursor")
        ),
        "created": created,
        "raw_key": raw_key,
        "can_manage_webhooks": request.user.has_perm("api.view_webhook"),
    }
    return render_page(request, "api/keys.html", context, partial="keys")


@login_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, pk):
    api_key = keys.api_key_get(user=request.user, key_id=pk)
    if request.method == "POST":
        keys.api_key_revoke(api_key=api_key)
        messages.success(request, _("API key “%(name)s” revoked.") % {"name": api_key.name})
        return redirect("api_pages:keys")
    return render_page(request, "api/key_confirm_revoke.html", {"api_key": api_key})


# --- Webhooks --------------------------------------------------------------------------


@permission_required("api.view_webhook")
def webhook_list(request):
    webhooks = Webhook.objects.order_by("-created_at", "-id")
    context = {
        "page": paginate(webhooks, request.GET.get("page")),
        "can_add": request.user.has_perm("api.add_webhook"),
    }
    return render_page(request, "api/webhooks.html", context)


def _webhook_form_page(request, *, webhook=None):
    initial = None
    if webhook is not None:
        initial = {
            "url": webhook.url,
            "events": webhook.events,
            "description": webhook.description,
            "active": webhook.active,
        }
    form = WebhookForm(request.POST or None, initial=initial, editing=webhook is not None)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            if webhook is None:
                saved = services.webhook_create(user=request.user, **fields)
            else:
                if not fields["secret"]:
                    del fields["secret"]
                saved = services.webhook_update(user=request.user, webhook=webhook, **fields)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect(saved)
    return render_page(request, "api/webhook_form.html", {"form": form, "webhook": webhook})


@permission_required("api.add_webhook")
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    return _webhook_form_page(request)


@permission_required("api.change_webhook")
@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk):
    return _webhook_form_page(request, webhook=get_object_or_404(Webhook, pk=pk))


@permission_required("api.view_webhook")
def webhook_detail(request, pk):
    """The webhook and its delivery log; the log's pager swaps only the log with htmx."""
    webhook = get_object_or_404(Webhook, pk=pk)
    context = {
        "webhook": webhook,
        # A keyset page: a busy webhook's log grows by the day; a cursor not made here
        # shows the first page.
        "page": keyset_paginate(
            selectors.webhook_deliveries(webhook),
            selectors.DELIVERIES_ORDER,
            cursor=request.GET.get("cursor"),
        ),
        "target": DELIVERY_LOG_TARGET,
        "can_change": request.user.has_perm("api.change_webhook"),
        "can_delete": request.user.has_perm("api.delete_webhook"),
        "failed": WebhookDelivery.Status.FAILED,
    }
    return render_page(request, "api/webhook_detail.html", context, partial="log")


@permission_required("api.delete_webhook")
@require_http_methods(["GET", "POST"])
def webhook_delete(request, pk):
    webhook = get_object_or_404(Webhook, pk=pk)
    if request.method == "POST":
        services.webhook_delete(user=request.user, webhook=webhook)
        messages.success(request, _("Webhook deleted."))
        return redirect("api_pages:webhooks")
    return render_page(
        request,
        "api/webhook_confirm_delete.html",
        {"webhook": webhook, "delivery_count": webhook.deliveries.count()},
    )


@permission_required("api.change_webhook")
@require_POST
def delivery_retry(request, pk, delivery_pk):
    delivery = get_object_or_404(WebhookDelivery, webhook_id=pk, pk=delivery_pk)
    services.delivery_retry(user=request.user, delivery=delivery)
    messages.success(request, _("Delivery queued again."))
    return redirect("api_pages:webhook_detail", pk=pk)
