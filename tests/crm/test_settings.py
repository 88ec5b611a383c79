import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 60 + "-production-test-key-with-enough-entropy-!@#",
    "ALLOWED_HOSTS": "crm.example.com",
}


def _manage(*args, env):
    dropped = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def _shell(code, env):
    """``manage.py shell -c code`` with ``env`` over an environment without mail settings."""
    dropped = ("DEBUG", "SECRET_KEY", "EMAIL_BACKEND", "EMAIL_FILE_PATH")
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SEND_ONE = (
    "from django.conf import settings; from django.core.mail import send_mail; "
    "send_mail('Your survey', 'Answer here: http://x/s/abc', 'crm@localhost', ['a@example.com']); "
    "print(settings.EMAIL_BACKEND)"
)
BACKEND = "from django.conf import settings; print(settings.EMAIL_BACKEND)"


def test_development_writes_outgoing_mail_to_files_that_outlive_a_restart(tmp_path):
    """bin/run's worker log is not where a survey link should live: with DEBUG and no
    EMAIL_BACKEND, each message is a file under EMAIL_FILE_PATH (var/mail/ by default)."""
    output = _shell(SEND_ONE, {"DEBUG": "1", "EMAIL_FILE_PATH": str(tmp_path)})
    assert output == "django.core.mail.backends.filebased.EmailBackend"
    (written,) = tmp_path.iterdir()
    assert "Subject: Your survey" in written.read_text()
    assert "http://x/s/abc" in written.read_text()
    default = _shell("from django.conf import settings; print(settings.EMAIL_FILE_PATH)", {})
    assert default == str(settings.BASE_DIR / "var" / "mail")


def test_an_email_backend_that_is_set_is_kept_and_production_defaults_to_the_console():
    assert _shell(BACKEND, {"DEBUG": "1", "EMAIL_BACKEND": "x.y.SmtpLike"}) == "x.y.SmtpLike"
    assert _shell(BACKEND, PRODUCTION_ENV) == "django.core.mail.backends.console.EmailBackend"
