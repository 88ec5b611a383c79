import re

from django.contrib.staticfiles import finders
from django.core.management import call_command
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
