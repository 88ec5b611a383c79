"""docs/api.md stays true: its curl examples run, with real curl, against a running CRM
(live_server), after creating a key the way the quick start says; each answer has the fields
the example answer shows. The webhook signature check it shows accepts our signatures."""

import json
import re
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from api.webhooks import signing
from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory, TagFactory
from tests.orders.factories import ProductFactory

DOC = Path(django_settings.BASE_DIR) / "docs" / "api.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _blocks():
    return [(lang, text) for lang, text in BLOCK.findall(DOC.read_text())]


def _examples():
    """[(curl command, the json block right after it or None)]."""
    blocks = _blocks()
    examples = []
    for index, (lang, text) in enumerate(blocks):
        if lang == "bash" and text.lstrip().startswith("curl"):
            following = blocks[index + 1] if index + 1 < len(blocks) else (None, None)
            examples.append((text.strip(), following[1] if following[0] == "json" else None))
    return examples


def _documented_keys_present(documented, actual):
    if isinstance(documented, dict):
        assert isinstance(actual, dict), (documented, actual)
        assert set(documented) <= set(actual), (documented, actual)
        for key, value in documented.items():
            if key in ("results", "lines") and value and actual[key]:
                _documented_keys_present(value[0], actual[key][0])


def test_every_json_block_is_valid_json():
    for lang, text in _blocks():
        if lang == "json":
            json.loads(text)


def test_the_quick_start_has_its_four_steps():
    commands = [command for command, _answer in _examples()]
    assert any("/api/v1/customers/" in c for c in commands)
    assert any(
        "-X POST" in c and "/api/v1/orders/" in c and "Idempotency-Key" in c for c in commands
    )
    assert any("/api/v1/scores/" in c for c in commands)


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_curl_examples_run_against_a_live_crm(live_server, client_for, owner, monkeypatch):
    # Commits run their hooks here: keep the value engine from rescoring the example data.
    monkeypatch.setattr("metrics.receivers.customers_mark_dirty", lambda **kwargs: None)
    customer = CustomerFactory(owner=owner, name="Acme Ltd", external_id="ERP-1001")
    customer.tags.add(TagFactory(name="wholesale"))
    product = ProductFactory(list_price=Decimal("100.00"), unit_cost=Decimal("60.00"))
    assert (customer.pk, product.pk) == (1, 1)  # the ids the examples use
    ScoreFactory(customer=customer, tier="A", churn_risk=0.62, value_score=91.5)

    # Step 1, as a person does it: the API keys page shows the new key once.
    raw_key = client_for(owner).post("/settings/api-keys/", {"name": "docs"}).context["raw_key"]

    environment = {"CRM_URL": live_server.url, "CRM_KEY": raw_key, "PATH": "/usr/bin:/bin"}
    for command, answer in _examples():
        result = subprocess.run(
            ["bash", "-c", command + " -w '\\n%{http_code}'"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        body, status = result.stdout.rsplit("\n", 1)
        assert status.startswith("2"), (command, status, body)
        if answer is not None:
            data = json.loads(body)
            assert data.get("results", [None]), (command, "no rows to compare")
            _documented_keys_present(json.loads(answer), data)


def test_the_signature_check_shown_accepts_our_signatures():
    code = next(text for lang, text in _blocks() if lang == "python" and "def verify" in text)
    namespace = {}
    exec(code, namespace)  # noqa: S102 (our own documentation)
    body = b'{"id":1,"event":"order.created"}'
    now = int(time.time())
    headers = {
        "X-CRM-Timestamp": str(now),
        "X-CRM-Signature": signing.signature(secret="s", timestamp=now, body=body),
    }
    assert namespace["verify"]("s", headers, body)
    assert not namespace["verify"]("other", headers, body)
    assert not namespace["verify"]("s", headers, body + b" ")
    old = {**headers, "X-CRM-Timestamp": str(now - 3600)}
    assert not namespace["verify"]("s", old, body)
