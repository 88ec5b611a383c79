"""Browser pages: a user's API keys (on their profile menu) and the webhooks (admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.pagination import paginate

from .. import keys
from ..forms import ApiKeyForm, WebhookForm
from ..webhooks import services
from ..webhooks.models import Webhook, WebhookDelivery

DELIVERY_LOG_TARGET = "#delivery-log"


def _require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


def _add_service_errors(form, exc):
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


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
        created, raw_key = keys.api_key_create(user=request.user, name=form.cleaned_data["name"])
        form = ApiKeyForm()
    context = {
        "form": form,
        "page": paginate(keys.api_keys_of(request.user), request.GET.get("page")),
        "created": created,
        "raw_key": raw_key,
        "can_manage_webhooks": request.user.has_perm("api.view_webhook"),
    }
    return render(request, "api/keys.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def api_key_revoke(request, pk):
    api_key = keys.api_key_get(user=request.user, key_id=pk)
    if request.method == "POST":
        keys.api_key_revoke(api_key=api_key)
        messages.success(request, _("API key “%(name)s” revoked.") % {"name": api_key.name})
        return redirect("api_pages:keys")
    return render(request, "api/key_confirm_revoke.html", {"api_key": api_key})


# --- Webhooks --------------------------------------------------------------------------


@login_required
def webhook_list(request):
    _require(request.user, "api.view_webhook")
    webhooks = Webhook.objects.order_by("-created_at", "-id")
    context = {
        "page": paginate(webhooks, request.GET.get("page")),
        "can_add": request.user.has_perm("api.add_webhook"),
    }
    return render(request, "api/webhooks.html", context)


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
            _add_service_errors(form, exc)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect(saved)
    return render(request, "api/webhook_form.html", {"form": form, "webhook": webhook})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request):
    _require(request.user, "api.add_webhook")
    return _webhook_form_page(request)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, pk):
    _require(request.user, "api.change_webhook")
    return _webhook_form_page(request, webhook=get_object_or_404(Webhook, pk=pk))


@login_required
def webhook_detail(request, pk):
    """The webhook and its delivery log; the log's pager swaps only the log with htmx."""
    _require(request.user, "api.view_webhook")
    webhook = get_object_or_404(Webhook, pk=pk)
    deliveries = webhook.deliveries.order_by("-created_at", "-id")
    context = {
        "webhook": webhook,
        "page": paginate(deliveries, request.GET.get("page")),
        "target": DELIVERY_LOG_TARGET,
        "can_change": request.user.has_perm("api.change_webhook"),
        "can_delete": request.user.has_perm("api.delete_webhook"),
        "failed": WebhookDelivery.Status.FAILED,
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "api/webhook_detail.html#log" if partial else "api/webhook_detail.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request, pk):
    _require(request.user, "api.delete_webhook")
    webhook = get_object_or_404(Webhook, pk=pk)
    if request.method == "POST":
        services.webhook_delete(user=request.user, webhook=webhook)
        messages.success(request, _("Webhook deleted."))
        return redirect("api_pages:webhooks")
    return render(
        request,
        "api/webhook_confirm_delete.html",
        {"webhook": webhook, "delivery_count": webhook.deliveries.count()},
    )


@login_required
@require_POST
def delivery_retry(request, pk, delivery_pk):
    _require(request.user, "api.change_webhook")
    delivery = get_object_or_404(WebhookDelivery, webhook_id=pk, pk=delivery_pk)
    services.delivery_retry(user=request.user, delivery=delivery)
    messages.success(request, _("Delivery queued again."))
    return redirect("api_pages:webhook_detail", pk=pk)
