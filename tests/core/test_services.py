"""What every app's services share (core.services): the permission check with its system
actor, and the fields a caller may set. No service sets an attribute it was not meant to."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from api.webhooks import services as webhook_services
from api.webhooks.models import Webhook
from campaigns import services as campaign_services
from core.services import SYSTEM, check_fields, require_permission
from metrics import services as metric_services
from surveys import services as survey_services
from tests.campaigns.factories import CampaignFactory
from tests.surveys.factories import SurveyFactory


def test_require_permission(owner, admin_user):
    require_permission(owner, "customers.add_customer")
    require_permission(admin_user, "campaigns.add_campaign", "api.add_webhook")
    with pytest.raises(PermissionDenied):
        require_permission(owner, "customers.add_customer", "campaigns.add_campaign")
    with pytest.raises(PermissionDenied, match="Admins only"):
        require_permission(owner, "campaigns.add_campaign", message="Admins only")


def test_the_system_actor_may_do_anything():
    assert SYSTEM is None
    require_permission(SYSTEM, "campaigns.delete_campaign")


def test_an_anonymous_user_may_do_nothing():
    """A request never acts as the system: an anonymous request passes AnonymousUser."""
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        require_permission(AnonymousUser(), "customers.view_customer")


def test_check_fields():
    check_fields({"name": 1}, {"name", "kind"}, service="thing_create")
    with pytest.raises(TypeError, match=r"thing_create\(\) got unexpected field\(s\): pk, z"):
        check_fields({"name": 1, "z": 2, "pk": 3}, {"name"}, service="thing_create")


@pytest.mark.parametrize(
    "call",
    [
        lambda admin: campaign_services.campaign_create(
            user=admin, name="C", starts_on=dt.date(2026, 1, 1), budget=Decimal("1"), pk=5
        ),
        lambda admin: campaign_services.campaign_update(
            user=admin,
            campaign=CampaignFactory(),
            created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        ),
        lambda admin: survey_services.survey_create(
            user=admin, name="S", kind="nps", status="closed"
        ),
        lambda admin: survey_services.survey_update(
            user=admin, survey=SurveyFactory(status="draft"), sent_by=admin
        ),
        lambda admin: webhook_services.webhook_update(
            user=admin,
            webhook=Webhook.objects.create(url="https://example.com/h", events=[], secret="s"),
            created_by=None,
        ),
        lambda admin: metric_services.metric_settings_update(user=admin, updated_by=None),
    ],
    ids=[
        "campaign_create",
        "campaign_update",
        "survey_create",
        "survey_update",
        "webhook_update",
        "metric_settings_update",
    ],
)
def test_an_unknown_field_is_refused(admin_user, call):
    with pytest.raises(TypeError, match="unexpected field"):
        call(admin_user)


def test_no_page_or_api_view_acts_as_the_system(settings):
    """Only tasks, commands and services pass ``user=None``; a view passes its request's
    user, so the system rule cannot be reached from the web."""
    root = Path(settings.BASE_DIR)
    views = [
        *root.glob("*/views.py"),
        *root.glob("*/views_*.py"),
        *root.glob("*/public_views.py"),
        *root.glob("api/views/*.py"),
    ]
    assert len(views) > 10
    offenders = [
        str(path.relative_to(root))
        for path in views
        if re.search(r"\buser=(None|SYSTEM)\b|core\.services import.*SYSTEM", path.read_text())
    ]
    assert offenders == []
