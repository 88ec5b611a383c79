"""The Metrics page shows the stored settings as a person writes them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import MetricSettings

pytestmark = pytest.mark.django_db


def test_settings_show_without_trailing_zeros(client_for, admin_user):
    MetricSettings.load().save()  # stored with six decimal places, read back as 0.350000

    assert MetricSettings.load().weight_historical == Decimal("0.350000")
    page = client_for(admin_user).get(reverse("metrics:index")).content.decode()

    assert 'name="weight_historical" value="0.35"' in page
    assert 'name="discount_rate" value="0.1"' in page
    assert "0.350000" not in page
