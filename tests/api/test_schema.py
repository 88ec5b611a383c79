import re

from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
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


def _schema():
    return APIClient().get("/api/schema/?format=json").json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_the_schema_is_openapi_3_1_with_one_type_per_field(db):
    schema = _schema()
    assert schema["openapi"].startswith("3.1")
    text = str(schema)
    # "" matched both branches of oneOf[{format: email}, {maxLength: 0}]: one string now.
    assert "'maxLength': 0" not in text
    assert "BlankEnum" not in text
    assert "'nullable'" not in text
    email = schema["components"]["schemas"]["CustomerRequest"]["properties"]["email"]
    assert email["type"] == "string"
    assert re.search(email["pattern"], "")
    assert re.search(email["pattern"], "buyer@acme.example")
    assert not re.search(email["pattern"], "not an address")
    for method, path, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer", (method, path)


def test_every_operation_and_property_is_described_and_named_once(db):
    schema = _schema()
    ids = [operation["operationId"] for _method, _path, operation in _operations(schema)]
    assert len(ids) == len(set(ids))
    assert {"customers_list", "customers_retrieve", "orders_bulk_create"} <= set(ids)
    assert "scores_explanation_retrieve" in ids
    for method, path, operation in _operations(schema):
        assert operation.get("description"), (method, path)
        assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
        for code, response in operation["responses"].items():
            headers = response.get("headers", {})
            assert "RateLimit-Remaining" in headers, (method, path, code)
    for name, component in schema["components"]["schemas"].items():
        for prop, definition in component.get("properties", {}).items():
            assert definition.get("description"), (name, prop)
    score = schema["components"]["schemas"]["Score"]["properties"]
    assert "percentile rank" in score["pct_historical"]["description"].lower()


def test_creations_document_location_and_link_to_the_object(db):
    created = _schema()["paths"]["/api/v1/customers/"]["post"]["responses"]["201"]
    assert created["headers"]["Location"]["required"] is True
    assert created["links"]["customers_retrieve"]["parameters"] == {"id": "$response.body#/id"}
    throttled = _schema()["paths"]["/api/v1/customers/"]["get"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]
    assert throttled["content"]["application/json"]["examples"]


def test_webhook_deliveries_are_openapi_webhooks(db):
    from api.webhooks.models import EVENT_TYPES

    webhooks = _schema()["webhooks"]
    assert set(webhooks) == {str(event) for event, _label in EVENT_TYPES}
    body = webhooks["order.created"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"] == "#/components/schemas/OrderEvent"


def test_the_schema_is_made_once_per_language_and_kept(db, monkeypatch, settings):
    settings.API_SCHEMA_PUBLIC = True  # a change of settings forgets what was made before
    made = []
    real = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        made.append(translation.get_language())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    client = APIClient()

    first = client.get("/api/schema/?format=json")
    again = client.get("/api/schema/?format=json")
    chinese = client.get("/api/schema/?format=json&lang=zh-hans")
    # "zh" is the site's Simplified Chinese; a YAML answer is the same document.
    short = client.get("/api/schema/?format=json&lang=zh")
    yaml = client.get("/api/schema/")

    assert made == ["en", "zh-hans"]
    assert first.content == again.content
    assert chinese.content == short.content != first.content
    assert chinese.json()["paths"].keys() == first.json()["paths"].keys()
    assert yaml.content.startswith(b"openapi: 3.1")
    assert first["Content-Disposition"] == 'inline; filename="Value CRM API.json"'


def test_an_unknown_schema_language_is_a_400_that_names_the_languages(db):
    response = APIClient().get("/api/schema/?format=json&lang=xx-nowhere")

    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "lang": ["Unknown language. Use one of: en, zh-hans."]
    }
