import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files and error reports go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def base_currency_usd(settings):
    settings.CRM_BASE_CURRENCY = "USD"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
