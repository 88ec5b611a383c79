import pytest


@pytest.fixture(autouse=True)
def base_currency_usd(settings):
    """Amounts in these tests are written in USD; a deployment may choose another base."""
    settings.CRM_BASE_CURRENCY = "USD"
