"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis), as an
admin with an API key, against the WSGI app: every operation, a bounded number of generated
requests each. No response may be a server error or break the schema (error responses
included: they are documented). The number of generated cases is printed (pytest -s)."""

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.keys import api_key_create
from crm.wsgi import application

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def wsgi_in_test_transaction():
    """As Django's test client does: requests must not close the test's connection."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def _path_parameters(path, ids):
    """Real ids for the path's parameters, so requests reach existing objects too."""
    names = re.findall(r"{(\w+)}", path)
    if not names:
        return None
    resource = path.split("/")[3]
    by_resource = {
        "customers": ids["customer"],
        "contacts": ids["contact"],
        "activities": ids["task"],
        "products": ids["product"],
        "orders": ids["order"],
        "customer-costs": ids["cost"],
        "surveys": ids["survey"],
        "invitations": ids["invitation"],
        "responses": ids["response"],
        "scores": ids["customer"],
        "recalculations": ids["run"],
        "model-fits": ids["fit"],
        "webhooks": ids["webhook"],
    }
    values = {"campaign_pk": ids["campaign"]}
    if resource == "campaigns":
        values["id"] = ids["spend"] if "spend-entries" in path else ids["campaign"]
    else:
        values["id"] = by_resource[resource]
    return {name: values[name] for name in names}


@pytest.mark.slow
def test_no_server_error_and_no_response_breaking_the_schema(
    world, admin_user, wsgi_in_test_transaction
):
    _key, raw = api_key_create(user=admin_user, name="fuzzer")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    ids = {name: obj.pk for name, obj in vars(world).items()}
    cases = 0
    operations = 0

    # Deletions last, so the other operations meet the objects first.
    all_operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.method.upper() == "DELETE",
    )
    for operation in all_operations:
        operations += 1
        strategy = operation.as_strategy(
            headers=headers, path_parameters=_path_parameters(operation.path, ids)
        )

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case):
            nonlocal cases
            cases += 1
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        check()

    print(f"\nschemathesis: {cases} generated cases over {operations} operations")
    assert operations >= 60
    assert cases >= operations
