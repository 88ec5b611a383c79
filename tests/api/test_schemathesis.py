"""Property-based testing of the whole API from its own OpenAPI schema (schemathesis), as an
admin with an API key, against the WSGI app, with every check schemathesis has (the
command line's ``--checks all``): no server error; status codes, content types, headers
and bodies as documented (errors included); every schema-valid request accepted and every
schema-violating one refused; and, following the schema's links from what a POST creates
to the operations on it, a created object readable and a deleted one gone.

Two phases, each bounded for CI (deterministic, a few examples per operation):
- fuzzing: every operation, positive and negative examples;
- stateful: sequences of linked calls (create → get, change, delete).

A cursor is opaque (only those the API hands out in ``next`` are valid), so generated ones
are left out; the stateful phase pages with real ones. ``fields`` answers only the fields
named, so with it a response cannot have every required property: positive examples leave
it out (negative ones keep it, an unknown name must be a 400). Each Idempotency-Key sent is
new, as a client's are: a generated key repeated with another body is rightly a 422.
The number of cases is printed (pytest -s)."""

import re
import uuid

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.keys import api_key_create
from crm.wsgi import application

EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}
STATEFUL_EXAMPLES = 10
# Never generated (see above).
OPAQUE_QUERY = ("cursor",)
PARTIAL_ANSWER_QUERY = ("fields",)


def _settings(max_examples, **extra):
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        **extra,
    )


@pytest.fixture
def wsgi_in_test_transaction():
    """As Django's test client does: requests must not close the test's connection."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def fuzzed(world, admin_user, wsgi_in_test_transaction):
    """(the schema, the admin's headers, the ids of one of everything)."""
    _key, raw = api_key_create(user=admin_user, name="fuzzer")
    headers = {"Authorization": f"Bearer {raw}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    ids = {name: obj.pk for name, obj in vars(world).items()}
    ids["owner"] = world.customer.owner_id
    return schema, headers, ids


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
    elif resource in by_resource:
        values["id"] = by_resource[resource]
    # Resources the world has none of (jobs, events …) get generated ids: a 404 is fine.
    return {name: values[name] for name in names if name in values} or None


# Fields of request bodies that name a row: a generated number names none (a 400 "does not
# exist", rightly); a positive example names a real one, as a client's request does.
REFERENCES = {
    "customer": "customer",
    "referred_by": "customer",
    "product": "product",
    "acquired_by_campaign": "campaign",
    "owner": "owner",
    "assignee": "owner",
}


def _real_references(value, ids):
    if isinstance(value, list):
        return [_real_references(item, ids) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        name: ids[REFERENCES[name]]
        if name in REFERENCES and isinstance(item, int) and not isinstance(item, bool)
        else _real_references(item, ids)
        for name, item in value.items()
    }


def prepare(case, mode=GenerationMode.POSITIVE, ids=None):
    """What a real client sends rather than what is generated (see the module's doc)."""
    if mode == GenerationMode.POSITIVE and ids is not None and isinstance(case.body, dict | list):
        case.body = _real_references(case.body, ids)
    query = case.query or {}
    for name in OPAQUE_QUERY:
        query.pop(name, None)
    if mode == GenerationMode.POSITIVE:
        for name in PARTIAL_ANSWER_QUERY:
            query.pop(name, None)
    if case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = str(uuid.uuid4())


# Rules a JSON Schema cannot state, across fields or on stored data (the customer's
# current status, an order's status, the exchange rates kept, the other weights, an
# external id already taken, an update by external id in a batch): a
# schema-valid request breaking one gets a 400 naming these fields, and only these.
# An order's totals, computed from its lines (quantity × price can outgrow the column).
ORDER_TOTALS = ("subtotal", "discount_total", "total", "cost_total", "total_base", "cost_base")
SEMANTIC_RULES = {
    "POST /api/v1/activities/": {"due_on"},
    "PATCH /api/v1/activities/{id}/": {"done"},
    "POST /api/v1/customers/": {"status", "churned_on", "churn_reason", "external_id"},
    "PATCH /api/v1/customers/{id}/": {"status", "churned_on", "churn_reason", "external_id"},
    "GET /api/v1/company-metrics/": {"end"},
    "POST /api/v1/orders/": {"currency", "non_field_errors", *ORDER_TOTALS},
    "POST /api/v1/orders/bulk/": {"currency", "non_field_errors", *ORDER_TOTALS},
    "POST /api/v1/customer-costs/": {"currency"},
    "POST /api/v1/customers/batch/": {"status", "churned_on", "churn_reason", "external_id"},
    "PATCH /api/v1/orders/{id}/": {"currency", "lines", "non_field_errors", *ORDER_TOTALS},
    "POST /api/v1/orders/{id}/status/": {"non_field_errors"},
    "POST /api/v1/orders/{id}/refund/": {"amount", "non_field_errors"},
    "PATCH /api/v1/metric-settings/": {"__all__", "non_field_errors", "tier_b_share", "as_of_date"},
    "POST /api/v1/surveys/": {"trigger_days_after_paid", "closes_on"},
    "PATCH /api/v1/surveys/{id}/": {
        "non_field_errors",
        "trigger_days_after_paid",
        "closes_on",
        "question",
    },
    "POST /api/v1/campaigns/": {"ends_on"},
    "PATCH /api/v1/campaigns/{id}/": {"ends_on"},
    "POST /api/v1/webhooks/{id}/ping/": {"webhook"},
}


def _breaks_a_semantic_rule(case, response, deleted=frozenset()):
    """A 400 naming only fields of the operation's SEMANTIC_RULES, or references to rows
    ``deleted`` earlier in a stateful run."""
    if response.status_code != 400:
        return False
    details = response.json().get("error", {}).get("details", {})
    allowed = SEMANTIC_RULES.get(case.operation.label, set())
    if isinstance(details.get("items"), list):
        # A bulk request: the rules broken by each item.
        named = {name for item in details["items"] for name in item.get("errors", {})}
    else:
        named = set(details)
    body = case.body if isinstance(case.body, dict) else {}
    return bool(named) and all(
        name in allowed or (REFERENCES.get(name), body.get(name)) in deleted for name in named
    )


# The resources a request body can name (REFERENCES) that the API deletes, by path.
DELETABLE_REFERENCES = {"customers": "customer", "products": "product", "campaigns": "campaign"}


def _fuzz(strategy, mode, headers, ids, examples, counter):
    @_settings(examples)
    @given(case=strategy)
    def check(case):
        counter[0] += 1
        prepare(case, mode, ids)
        response = case.call(headers=headers)
        excluded = []
        if mode == GenerationMode.POSITIVE and _breaks_a_semantic_rule(case, response):
            excluded.append(positive_data_acceptance)
        # Without ``checks``: every check schemathesis has (its ``--checks all``).
        case.validate_response(response, headers=headers, excluded_checks=excluded)

    check()


@pytest.mark.slow
def test_every_operation_meets_every_check(fuzzed):
    schema, headers, ids = fuzzed
    counter, operations, failures = [0], 0, []

    # Deletions last, so the other operations meet the objects first.
    all_operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: operation.method.upper() == "DELETE",
    )
    for operation in all_operations:
        operations += 1
        for mode, examples in EXAMPLES.items():
            strategy = operation.as_strategy(
                generation_mode=mode,
                headers=headers,
                path_parameters=_path_parameters(operation.path, ids),
            )
            # Every operation is tried, and the failures of all of them reported at once.
            try:
                _fuzz(strategy, mode, headers, ids, examples, counter)
            except Unsatisfiable:
                # Nothing to make invalid (no body, no parameter but the real ids given).
                assert mode == GenerationMode.NEGATIVE, operation.label
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
                failures.append(f"{operation.label} ({mode.value}): {exc}")

    print(f"\nschemathesis: {counter[0]} generated cases over {operations} operations")
    assert not failures, "\n\n".join(failures)
    assert operations >= 60
    assert counter[0] >= operations


@pytest.mark.slow
def test_linked_operations_keep_their_promises(fuzzed):
    """Sequences along the schema's links: what a POST created can be read, changed and
    deleted at the URL its id names, and is gone once deleted."""
    schema, headers, ids = fuzzed
    steps = 0

    @schema.auth()
    class ApiKey:
        """The admin's key on every call, as the client's own (not generated) credentials."""

        def get(self, case, context):
            return headers["Authorization"]

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": data}

    # (kind, id) of the rows the run deleted: the world's own too, when a generated id is
    # one of theirs (small numbers come often), so a later request naming it is rightly a
    # 400 "does not exist", whichever ids the database handed out before this test.
    deleted = set()

    class Machine(schema.as_state_machine()):
        def before_call(self, case):
            prepare(case, ids=ids)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            rejected = _breaks_a_semantic_rule(case, response, deleted)
            excluded = [positive_data_acceptance] if rejected else []
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

        def after_call(self, response, case):
            nonlocal steps
            steps += 1
            resource = case.path.split("/")[3]
            pk = (case.path_parameters or {}).get("id")
            if (
                case.method.upper() == "DELETE"
                and response.status_code == 204
                and resource in DELETABLE_REFERENCES
                and "spend-entries" not in case.path
            ):
                deleted.add((DELETABLE_REFERENCES[resource], int(pk)))
            super().after_call(response, case)

    Machine.run(settings=_settings(STATEFUL_EXAMPLES, stateful_step_count=5))
    print(f"\nschemathesis stateful: {steps} linked calls")
    assert steps > STATEFUL_EXAMPLES
