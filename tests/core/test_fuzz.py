"""Hostile input on every route of the URLconf: never a server error.

- Every GET route (pages, htmx fragments, downloads, the API), for a rep, a manager, an
  admin and an anonymous visitor, with a fixed list of hostile query strings: huge and
  negative integers, NUL, invalid UTF-8 percent-escapes, very long strings, repeated and
  ``[]`` parameters, Infinity/NaN, impossible dates, and tampered API cursors. Each request
  puts the same hostile value in every parameter a view may read: the names of the page's
  own inputs, the API's query parameters (from its OpenAPI schema) and ``PARAMETERS``.
  No response may be 500 or more.
- Every POST endpoint of the API with hostile JSON (deep nesting, huge numbers, wrong
  types, NUL and lone surrogates, not JSON at all, an oversize and a chunked body): a JSON
  error body with a 4xx status, and no row written.
- Every page form (its inputs read from the page) posted with hostile values: no 500.

The routes come from the URL resolver and their arguments from the objects of one
``World`` (tests/core/test_pages.py) built once for the module, so a new URL is fuzzed
without being listed here; ``test_every_route_gets_arguments`` fails when a new kind of
URL argument needs an object. Each request runs in a savepoint rolled back after it, so
what one request changes (or deletes) never affects the next. No randomness: the same
requests every run.
"""

import base64
import json
import re

import pytest
from django.db import connection, transaction
from django.http import QueryDict
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse

from api import keys
from api.webhooks.models import OutboxEvent
from surveys.models import Invitation, Response
from tests.api.factories import DeliveryFactory, ModelFitFactory, ScoreFactory
from tests.core.test_pages import World
from tests.factories import CustomerFactory, TaskFactory, persona
from tests.orders.factories import OrderFactory
from tests.shared import shared_rows

pytestmark = pytest.mark.xdist_group("fuzz")  # one build of the shared world per worker

ROLES = ["owner", "manager", "admin_user", None]  # a rep, a manager, an admin, anonymous

# Query parameters that views read straight from request.GET (and the API's pagination),
# besides the inputs each page shows and the API's documented parameters.
PARAMETERS = [
    "page",
    "costs_page",
    "acquired_page",
    "q",
    "search",
    "status",
    "owner",
    "customer",
    "currency",
    "active",
    "period",
    "as_of",
    "score",
    "saved",
    "run",
    "duplicate",
    "lines",
    "refresh",
    "whatif",
    "calibration_end",
    "cursor",
    "ordering",
    "page_size",
    "format",
    "next",
    "sort",
    "direction",
    "from",  # the lists' "jump to" (customers, orders): 400 for a bad value, see JUMP_LISTS
]

HUGE = "9223372036854775808"  # one past the largest bigint
HOSTILE_VALUES = {
    "huge": HUGE,
    "negative": "-" + HUGE,
    "infinity": "Infinity",
    "nan": "NaN",
    "nul": "a\x00b",
    "long": "x" * 2000,
    "junk": "<>'\"%;)(&+\\ \u202e\ufeff\U0001f600",
    "last date": "9999-12-31",
    "no such date": "2026-02-30",
    "empty": "",
}
# Query strings sent as they are: bytes that are not UTF-8, repeated and [] parameters.
RAW_QUERIES = {
    "invalid utf-8": "q=%FF%FE&page=%C0%AF&search=%ED%A0%80&status=%&owner=%E2%82",
    "repeated": "page=1&page=2&q=a&q=b&owner=1&owner=x&status=a&status=b&customer=1&customer="
    "&page[]=1&q[]=a&owner[]=1&status[a]=b&cursor[]=x",
}


def _cursor(payload):
    return base64.urlsafe_b64encode(payload.encode()).decode()


def hostile_cursors(ordering, width):
    """Well-formed cursors (the view's own ordering and width) holding values no column
    takes, and malformed ones."""
    values = ["Infinity", "-Infinity", "NaN", "1e400", '"\\u0000"', str(10**30), "true"]
    values += ['"9999-99-99"', '"' + "x" * 300 + '"', "[]", "{}", '"\\ud800"']
    cursors = [
        _cursor(f'{{"o": {json.dumps(ordering)}, "v": [{", ".join([value] * width)}], "b": 0}}')
        for value in values
    ]
    cursors += [_cursor('{"o": 1}'), _cursor("[]"), _cursor("\u00ff"), "%%%", "é", "A" * 3000]
    return cursors


# The object behind a <pk> is named by the path segment before it.
PK_OBJECTS = {
    "customers": "customer",
    "tasks": "task",
    "activities": "task",
    "contacts": "contact",
    "orders": "order",
    "costs": "cost",
    "customer-costs": "cost",
    "products": "product",
    "rates": "rate",
    "campaigns": "campaign",
    "spend-entries": "spend",
    "surveys": "survey",
    "invitations": "invitation",
    "responses": "response",
    "scores": "customer",
    "runs": "run",
    "recalculations": "run",
    "model-fits": "fit",
    "imports": "job",
    "api-keys": "api_key",
    "webhooks": "webhook",
    "jobs": "bulk_job",
    "events": "event",
}
# Other URL arguments, by name.
ARGUMENT_OBJECTS = {
    "contact_pk": "contact",
    "entry_pk": "spend",
    "delivery_pk": "delivery",
    "customer_id": "customer",
    "campaign_pk": "campaign",
    "status": "status",
    "signed": "signed",
    "kind": "kind",
    "uidb64": "uidb64",
    "token": "reset_token",
}
_ARGUMENT = re.compile(r"(?:([\w-]+)/)?(?:<(?:\w+:)?(\w+)>|\(\?P<(\w+)>)")


def routes():
    """(name, route) of every URL of ours (not Django's admin)."""

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.startswith("admin/"):
                continue
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, route, inner)
            else:
                yield f"{namespace}{pattern.name}", route

    return sorted(set(walk(get_resolver().url_patterns)))


def route_arguments(route):
    """{argument: World attribute} of a route."""
    arguments = {}
    for segment, path_name, regex_name in _ARGUMENT.findall(route.replace("^", "")):
        name = path_name or regex_name
        arguments[name] = PK_OBJECTS.get(segment) if name == "pk" else ARGUMENT_OBJECTS.get(name)
    return arguments


class FuzzWorld(World):
    """The objects of test_pages' World, plus those only the API and fragments need."""

    uidb64 = "MQ"
    reset_token = "set-password"

    def __init__(self, user, client, on_commit):
        super().__init__(user, client, on_commit)
        self.task = TaskFactory(customer=self.customer)
        self.delivery = DeliveryFactory(webhook=self.webhook)
        self.event = OutboxEvent.objects.create(
            type="customer.created", object_type="customer", object_id=self.customer.pk
        )
        self.fit = ModelFitFactory()
        self.run = self.fit.run
        ScoreFactory(customer=self.customer)
        self.invitation = Invitation.objects.get(customer=self.customer)
        self.response = Response.objects.get(invitation=self.invitation)

    def urls(self):
        """{URL name: URL} of every route of ours."""
        found = {}
        for name, route in routes():
            kwargs = {
                argument: getattr(getattr(self, attribute), "pk", getattr(self, attribute))
                for argument, attribute in route_arguments(route).items()
            }
            found[name] = reverse(name, kwargs=kwargs)
        return found


def test_every_route_gets_arguments():
    missing = {
        name: route
        for name, route in routes()
        if None in route_arguments(route).values()
        or len(route_arguments(route)) != route.count("<")
    }
    assert not missing, (
        f"Name the object for these URL arguments in PK_OBJECTS or ARGUMENT_OBJECTS: {missing}"
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    media.enable()

    def build():
        users = {role: persona(role) for role in ROLES if role}
        client = Client()
        client.force_login(users["owner"])
        world = FuzzWorld(users["owner"], client, TestCase.captureOnCommitCallbacks)
        world.api_keys = {
            role: keys.api_key_create(user=user, name="fuzz")[1] for role, user in users.items()
        }
        world.all_urls = world.urls()
        return world

    yield from shared_rows(django_db_blocker, build)
    media.disable()


# The query parameters the last request's view read (READ_ALL: it went through them all).
READS = set()
READ_ALL = "*"
# Read by every API request (DRF's content negotiation): not a sign the view reads any.
EVERYWHERE = {"format"}


class RecordingQueryDict(QueryDict):
    def __getitem__(self, key):
        READS.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        READS.add(key)
        return super().__contains__(key)

    def getlist(self, key, default=None):
        READS.add(key)
        return super().getlist(key, default)

    def _all(name):
        def read_all(self, *args, **kwargs):
            READS.add(READ_ALL)
            return getattr(QueryDict, name)(self, *args, **kwargs)

        return read_all

    for _name in ("__iter__", "keys", "items", "lists", "values", "dict", "copy", "urlencode"):
        locals()[_name] = _all(_name)


def record_reads(get_response):
    """Test-only middleware: which query parameters does the view read? A view that reads
    none in a plain request gets no hostile values (they would change nothing)."""

    def middleware(request):
        recording = RecordingQueryDict(mutable=True)
        for key, values in request.GET.lists():
            recording.setlist(key, values)
        recording._mutable = False
        request.GET = recording
        return get_response(request)

    return middleware


@pytest.fixture(autouse=True)
def generous_limits(settings):
    middleware = list(settings.MIDDLEWARE)
    after = middleware.index("core.middleware.reject_malformed_requests") + 1
    middleware.insert(after, f"{__name__}.record_reads")
    settings.MIDDLEWARE = middleware
    settings.SURVEY_RATE_LIMIT = 100_000
    settings.API_MAX_REQUEST_BYTES = 64 * 1024
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(("key", "user", "anon"), "1000000/min"),
    }


class Requests:
    """Sends requests as one role, each in a savepoint rolled back after it, and collects
    every response of 500 or more with the exception behind it."""

    def __init__(self, world, role):
        self.client = Client(raise_request_exception=False)
        self.headers = {}
        if role is not None:
            user = persona(role)
            self.client.force_login(user)
            self.headers = {"Authorization": f"Bearer {world.api_keys[role]}"}
        self.role = role or "anonymous"
        self.failures = []
        self.count = 0

    def send(self, method, url, *, api=False, **kwargs):
        headers = {**(self.headers if api else {}), **kwargs.pop("headers", {})}
        self.count += 1
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                response = getattr(self.client, method)(url, headers=headers, **kwargs)
            transaction.set_rollback(True)
        if response.status_code >= 500:
            exc = getattr(response, "exc_info", None)
            problem = repr(exc[1])[:300] if exc else ""
            self.failures.append(
                f"{self.role} {method.upper()} {url[:200]} → {response.status_code} {problem}"
            )
        return response, queries


def _is_api(url):
    return url.startswith("/api/")


def _input_names(response):
    if "html" not in response.get("Content-Type", ""):
        return set()
    return set(re.findall(r'\bname="([\w\[\]-]+)"', response.content.decode(errors="replace")))


@pytest.fixture(scope="module")
def api_schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def api_query_names(api_schema):
    """Every query parameter the API documents."""
    schema = api_schema
    return {
        parameter["name"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    }


def _keyset(url):
    """(default ordering, its width) of a keyset-paged API list, else None: asked of the view
    as it serves a GET of ``url`` (a viewset may page one action by keyset and another by
    number, as webhooks and their deliveries)."""
    from django.urls import resolve

    from api.pagination import KeysetPagination

    func = resolve(url.split("?")[0]).func
    if getattr(func, "cls", None) is None:
        return None
    view = func.cls()
    view.action = getattr(func, "actions", {}).get("get")
    paginator = getattr(view, "pagination_class", None)
    if paginator is None or not issubclass(paginator, KeysetPagination):
        return None
    return view.keyset_default, len(view.keyset_orderings[view.keyset_default])


@pytest.mark.parametrize("role", ROLES, ids=[role or "anonymous" for role in ROLES])
def test_no_get_with_a_hostile_query_string_is_a_server_error(db, world, api_query_names, role):
    requests = Requests(world, role)
    for url in world.all_urls.values():
        api = _is_api(url)
        READS.clear()
        plain, _queries = requests.send("get", url, api=api)
        if not READS - EVERYWHERE:
            # Not for this role, not a GET, or a page that reads no parameter: one hostile
            # request still goes through every middleware.
            requests.send("get", f"{url}?{RAW_QUERIES['invalid utf-8']}", api=api)
            continue
        names = set(PARAMETERS) | _input_names(plain) | (api_query_names if api else set())
        for value in HOSTILE_VALUES.values():
            requests.send("get", url, api=api, data=dict.fromkeys(sorted(names), value))
        for raw in RAW_QUERIES.values():
            requests.send("get", f"{url}?{raw}", api=api)
        keyset = _keyset(url) if api else None
        if keyset:
            for cursor in hostile_cursors(*keyset):
                requests.send("get", url, api=True, data={"cursor": cursor})
    assert not requests.failures, "\n".join(requests.failures)
    assert requests.count > len(world.all_urls)


# The lists' "jump to" (query parameter "from", core.jump), in every sort both ways, with
# each hostile value: a place in the list when the value is one of the sort's kind (an
# empty one is no jump), else a 400 with the message beside the field (a NUL: the
# middleware's 400); never a 500, and never the first page without a word.
JUMP_LISTS = {
    "customers:list": (
        "customer-jump",
        {"name": "text", "created": "date", "score": "float", "churn": "float", "revenue": "money"},
    ),
    "orders:list": ("order-jump", {"number": "text", "date": "date", "total": "money"}),
}
JUMP_TAKES = {
    "text": {"huge", "negative", "infinity", "nan", "junk", "last date", "no such date", "empty"},
    "date": {"last date", "empty"},
    "float": {"huge", "negative", "empty"},
    # At most 16 (revenue) or 14 (total) digits, 2 after the point.
    "money": {"empty"},
}


@pytest.mark.parametrize("url_name", sorted(JUMP_LISTS))
def test_a_hostile_jump_is_a_place_in_the_list_or_a_400_with_its_message(
    client_for, manager, url_name
):
    OrderFactory(customer=CustomerFactory(owner=manager))
    client = client_for(manager)
    form_id, sorts = JUMP_LISTS[url_name]
    problems = []
    for sort, kind in sorts.items():
        for direction in ("", "-"):
            for name, value in HOSTILE_VALUES.items():
                response = client.get(reverse(url_name), {"sort": direction + sort, "from": value})
                expected = 200 if name in JUMP_TAKES[kind] else 400
                shown = name == "nul" or f'id="{form_id}-error"' in response.content.decode()
                if response.status_code != expected or (expected == 400 and not shown):
                    problems.append(f"{direction}{sort} {name}: {response.status_code}")
    assert not problems, "\n".join(problems)


# --- POST ---------------------------------------------------------------------------------

# Tables a refused request may still write: the key's last use, the session, login lockout.
BOOKKEEPING_TABLES = ("api_apikey", "django_session", "axes_")


def _writes(queries):
    written = []
    for query in queries.captured_queries:
        sql = (query["sql"] or "").lstrip().upper()
        if sql.startswith(("INSERT", "UPDATE", "DELETE")) and not any(
            table.upper() in sql[:80] for table in BOOKKEEPING_TABLES
        ):
            written.append(sql[:120])
    return written


def _post_fields(schema, url):
    """The request body's properties of the POST operation at ``url`` ([] when it takes
    no body), or None when there is no POST operation there."""
    for path, operations in schema["paths"].items():
        pattern = "^" + re.sub(r"\{\w+\}", r"[^/]+", path) + "$"
        if "post" in operations and re.match(pattern, url):
            body = operations["post"].get("requestBody", {}).get("content", {})
            ref = body.get("application/json", {}).get("schema", {}).get("$ref", "")
            component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
            return sorted(component.get("properties", {}))
    return None


def _deep(depth):
    return "[" * depth + "]" * depth


def hostile_bodies(fields):
    """(name, body bytes, extra headers) for a POST whose body has these fields. Bodies
    that are not JSON the API takes come first; then, for endpoints that take a body,
    JSON whose every field holds a wrong value."""

    def each(value):
        pairs = ", ".join(f"{json.dumps(field)}: {value}" for field in fields or ["name"])
        return ("{" + pairs + "}").encode()

    malformed = [
        ("deeply nested list", _deep(1000).encode(), {}),
        ("deeply nested field", each(_deep(1000)), {}),
        ("nesting past the limit", each(_deep(40)), {}),
        ("Infinity", each("Infinity"), {}),
        ("4,301 digits", each("9" * 4301), {}),
        ("lone surrogate", each('"\\ud800"'), {}),
        ("not JSON", b"{'name': 1,}", {}),
        ("not UTF-8", b'{"name": "\xff\xfe"}', {}),
        ("oversize", b'{"name": "' + b"x" * (65 * 1024) + b'"}', {}),
        ("chunked", each('"x"'), {"Transfer-Encoding": "chunked"}),
    ]
    if not fields:
        return malformed
    return [
        *malformed,
        ("huge integers", each(str(10**30)), {}),
        ("negative integers", each(str(-(10**30))), {}),
        ("infinite floats", each("1e400"), {}),
        ("booleans", each("true"), {}),
        ("objects", each('{"x": [1]}'), {}),
        ("lists", each("[[1, 2], {}]"), {}),
        ("NUL", each('"a\\u0000b"'), {}),
        ("null body", b"null", {}),
        ("list body", b"[]", {}),
        ("string body", b'"x"', {}),
    ]


@pytest.mark.parametrize("role", ROLES, ids=[role or "anonymous" for role in ROLES])
def test_every_api_post_refuses_hostile_json_with_a_json_4xx_and_writes_nothing(
    db, world, api_schema, role
):
    schema = api_schema
    requests = Requests(world, role)
    problems = []
    posts = 0
    for url in world.all_urls.values():
        if not _is_api(url):
            continue
        fields = _post_fields(schema, url)
        if fields is None:
            continue
        posts += 1
        for label, body, headers in hostile_bodies(fields):
            response, queries = requests.send(
                "post", url, api=True, data=body, content_type="application/json", headers=headers
            )
            where = f"{requests.role} POST {url} {label}: {response.status_code}"
            if not 400 <= response.status_code < 500:
                problems.append(f"{where}, not a 4xx")
            elif not response.get("Content-Type", "").startswith("application/json"):
                problems.append(f"{where}, not JSON")
            elif "error" not in response.json():
                problems.append(f"{where}, not the API's error body")
            if written := _writes(queries):
                problems.append(f"{where}, wrote {written}")
    assert not requests.failures, "\n".join(requests.failures)
    assert not problems, "\n".join(problems)
    assert posts >= 14, "the API's POST endpoints were not found in its schema"


FORM_VALUES = {
    "nul": "a\x00b",
    "huge": HUGE,
    "negative": "-" + HUGE,
    "long": "x" * 10_000,
    "infinity": "Infinity",
    "no such date": "2026-02-30",
    "junk": "<script>'\"",
}


def test_no_page_form_posted_with_hostile_values_is_a_server_error(db, world):
    requests = Requests(world, "admin_user")
    for url in world.all_urls.values():
        if _is_api(url) or url.startswith("/accounts/"):
            continue
        page, _queries = requests.send("get", url)
        names = sorted(_input_names(page) - {"csrfmiddlewaretoken"})
        if page.status_code != 200 or not names:
            continue
        for value in FORM_VALUES.values():
            requests.send("post", url, data=dict.fromkeys(names, value))
        # Every field twice, as a list.
        requests.send("post", url, data={name: ["1", HUGE] for name in names})
    assert not requests.failures, "\n".join(requests.failures)
