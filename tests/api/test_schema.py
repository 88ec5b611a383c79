import re

from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    text = path.read_text()
    assert text.startswith("openapi: 3.")
    assert "Idempotency-Key" in text
    assert "bearerFormat" not in text


def test_schema_is_served_with_descriptions_examples_and_errors(db):
    response = APIClient().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/orders/bulk/"]["post"]
    assert operation["summary"].startswith("Import orders in bulk")
    assert set(operation["responses"]) >= {"201", "400", "401", "403", "429"}
    error = operation["responses"]["400"]["content"]["application/json"]
    assert error["schema"]["$ref"] == "#/components/schemas/Error"
    assert "examples" in error
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"],
    }
    assert (
        "examples"
        in schema["paths"]["/api/v1/customers/"]["post"]["requestBody"]["content"][
            "application/json"
        ]
    )


def test_the_interactive_docs_use_our_own_static_files(db):
    html = APIClient().get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("drf_spectacular_sidecar/swagger-ui-dist/" in s for s in sources)
    assert not any(s.startswith(("http://", "https://", "//")) for s in sources)
    # (Not a bare "cdn": the page's random CSRF token may contain those letters.)
    assert not re.search(r"cdn\.|jsdelivr|unpkg|cdnjs", html.lower())
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


def test_the_schema_and_docs_are_public_by_default(db, settings):
    assert settings.API_SCHEMA_PUBLIC is True
    anonymous = APIClient()
    assert anonymous.get("/api/schema/").status_code == 200
    assert anonymous.get("/api/docs/").status_code == 200


def test_without_api_schema_public_only_users_and_keys_read_the_schema(
    settings, api_for, client_for, owner
):
    settings.API_SCHEMA_PUBLIC = False
    anonymous = APIClient()
    refused = anonymous.get("/api/schema/?format=json")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"
    # A person who is not signed in is sent to log in, then back to the docs.
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == f"{reverse('login')}?next=/api/docs/"
    assert anonymous.get("/api/docs/?script=").status_code == 401

    assert api_for(owner).get("/api/schema/?format=json").status_code == 200
    signed_in = client_for(owner)
    assert signed_in.get("/api/schema/?format=json").status_code == 200
    assert signed_in.get("/api/docs/").status_code == 200
    assert signed_in.get("/api/docs/?script=").status_code == 200


def test_the_docs_page_has_no_inline_script_or_style(db):
    """Its start-up script is a URL of its own, so the Content-Security-Policy holds there too."""
    html = APIClient().get("/api/docs/").content.decode()
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    script = APIClient().get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content
