"""Demo rows made with numpy from a seed and an as-of date: pure, no ORM, no clock.

Customers are made in chunks of ``CHUNK``; each chunk draws from its own generator keyed by
(seed, first index), so the output depends only on the seed, the as-of date, the size and
the ids the database hands out, never on timing. Money is kept in integer cents (rates in
units of 1e-8) so whole chunks are summed exactly with numpy; ``check_totals`` proves the
result equal to ``orders.totals``, the one home of order arithmetic, and the loader runs it
on a sample of every chunk.

Tables come out column by column (``Table``): the loader writes them with COPY on
PostgreSQL and executemany elsewhere.

Names and texts come from a vocabulary module (``words``: ``vocabulary`` in English,
``vocabulary_zh`` in Chinese); both draw the same random numbers, so a seed gives the same
customers, orders and dates in either language, named differently.
"""

import datetime as dt
import functools
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType

import numpy as np

from orders.numbering import order_number
from orders.totals import LineInput, convert, order_totals, to_cents

from . import vocabulary as vocab

CHUNK = 20_000  # customers per chunk: up to about 300,000 orders and 750,000 lines
YEARS = 3
EPOCH = dt.date(1970, 1, 1)
DAY = 86_400
RATE_UNIT = 10**8  # rates are stored with 8 decimal places
NULL = -1  # in REF, DATE and TIME columns

# Column kinds: how the loader turns the values into database values.
INT = "int"  # int64
REF = "ref"  # int64 id, NULL allowed
MONEY = "money"  # int64 cents
RATE = "rate"  # int64 units of 1e-8
DATE = "date"  # int64 days since 1970-01-01, NULL allowed
TIME = "time"  # int64 seconds since 1970-01-01 UTC, NULL allowed
TEXT = "text"  # list of str
BOOL = "bool"  # numpy bool

# Buying behaviour: share of customers, orders a year while active, chance to lapse.
LEAD, ONE_OFF, OCCASIONAL, REGULAR, LOYAL, SEASONAL = range(6)
SEGMENT_SHARE = np.array([0.07, 0.21, 0.26, 0.23, 0.11, 0.12])
SEGMENT_RATE = np.array([0.0, 0.0, 3.5, 11.0, 34.0, 7.0])
SEGMENT_LAPSE = np.array([0.0, 0.0, 0.35, 0.25, 0.08, 0.2])

ACTIVITY_RICH = 5_000  # the first customers get a full timeline; later ones a sparse one
RECENT_DAYS = 14  # orders this young are mostly not paid yet
# A rep's task list on the as-of day: a share of the tasks were set in the last weeks (due
# from about two weeks ago to four weeks ahead, many this week); of the tasks due before the
# as-of day only those of the last OPEN_TASK_DAYS may still be open (overdue), about a third.
# Older ones were done: a real rep closes or drops a task within a fortnight.
RECENT_TASKS = 0.1
RECENT_TASK_DAYS = 20
OPEN_TASK_DAYS = 14


@dataclass(frozen=True)
class Column:
    name: str  # the model field's attname
    kind: str
    values: object


@dataclass(frozen=True)
class Table:
    model: str  # "app_label.ModelName"
    columns: tuple

    def __len__(self):
        return len(self.columns[0].values) if self.columns else 0


# --- Reference data ---------------------------------------------------------------------


def period_start(as_of):
    """The first day of the demo period: ``YEARS`` years before the as-of date."""
    try:
        return as_of.replace(year=as_of.year - YEARS)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - YEARS, day=28)


def add_months(day, months):
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_starts(first, last):
    months = (last.year - first.year) * 12 + last.month - first.month
    return [add_months(first, k) for k in range(months + 1)]


def foreign_currencies(base):
    return tuple(c for c in vocab.FOREIGN_CURRENCIES if c != base)[:3]


def products(seed, words=vocab):
    """The catalogue: dicts of sku, name, list_price and unit_cost (margin 20-60%)."""
    rng = np.random.default_rng([seed, 10])
    rows = []
    for spec in words.PRODUCTS:
        margin = int(rng.integers(spec.margin_low, spec.margin_high + 1))
        price = Decimal(spec.list_price)
        rows.append(
            {
                "sku": spec.sku,
                "name": spec.name,
                "list_price": price,
                "unit_cost": to_cents(price * (100 - margin) / 100),
            }
        )
    return rows


def exchange_rates(seed, as_of, base):
    """Monthly rates (currency, valid_on, rate) from the period start to the as-of month:
    a mean-reverting random walk around each currency's worth, six decimal places."""
    rng = np.random.default_rng([seed, 11])
    months = month_starts(period_start(as_of), as_of)
    base_value = vocab.USD_VALUE.get(base, 1.0)
    rows = []
    for currency in foreign_currencies(base):
        anchor = np.log(vocab.USD_VALUE[currency] / base_value)
        level = anchor
        for month in months:
            rows.append((currency, month, Decimal(f"{np.exp(level):.6f}")))
            level += 0.15 * (anchor - level) + rng.normal(0, 0.015)
    return rows


@dataclass(frozen=True)
class CampaignDates:
    name: str
    channel: str
    starts_on: dt.date
    ends_on: dt.date | None
    weekly_spend: bool
    cac: int
    weight: float


def campaign_schedule(as_of, words=vocab):
    start = period_start(as_of)
    schedule = []
    for plan in words.CAMPAIGNS:
        starts_on = add_months(start, plan.start_month)
        ends_on = add_months(starts_on, plan.months) - dt.timedelta(days=1) if plan.months else None
        schedule.append(
            CampaignDates(
                name=plan.name.format(year=starts_on.year),
                channel=plan.channel,
                starts_on=starts_on,
                ends_on=ends_on,
                weekly_spend=plan.weekly_spend,
                cac=plan.cac,
                weight=plan.weight,
            )
        )
    return schedule


def campaign_budget(campaign, customers):
    """The target acquisition cost times the customers the campaign brings, in hundreds,
    so CAC looks plausible at any demo size."""
    return Decimal(max(5, round(campaign.cac * customers / 100)) * 100)


def spend_entries(seed, campaign, budget, as_of):
    """(spent_on, amount) rows, weekly or monthly up to the as-of date, adding up to
    92-100% of the budget."""
    rng = np.random.default_rng([seed, 12, *campaign.name.encode()])
    last = min(campaign.ends_on or as_of, as_of - dt.timedelta(days=1))
    if campaign.weekly_spend:
        days = [
            campaign.starts_on + dt.timedelta(days=7 * k)
            for k in range((last - campaign.starts_on).days // 7 + 1)
        ]
    else:
        days = month_starts(campaign.starts_on, last)
    if not days:
        return []
    total = int(budget * 100 * Decimal(str(round(rng.uniform(0.92, 1.0), 4))))
    shares = rng.gamma(4.0, size=len(days))
    cents = np.floor(shares / shares.sum() * total).astype(np.int64)
    cents[-1] += total - cents.sum()
    return [(day, Decimal(int(c)) / 100) for day, c in zip(days, cents, strict=True)]


# --- The world every chunk draws from ----------------------------------------------------


@dataclass(frozen=True)
class World:
    """What the database already holds (ids, prices, rates) plus the seed and dates."""

    seed: int
    as_of: dt.date
    first_customer_id: int
    currencies: tuple  # index 0 is the base currency
    rate_days: tuple  # per currency: epoch days each rate is valid from, ascending
    rate_units: tuple  # per currency: the rates in units of 1e-8
    product_ids: np.ndarray
    product_names: tuple
    price_cents: np.ndarray  # [currency, product]: the price list in that currency
    cost_cents: np.ndarray  # [currency, product]
    product_weights: np.ndarray  # [company, person] x product
    tag_ids: np.ndarray
    tag_weights: np.ndarray
    campaign_ids: np.ndarray
    campaign_referral: np.ndarray  # bool: the campaign is a referral programme
    owner_ids: np.ndarray  # NULL for "unassigned"
    owner_weights: np.ndarray
    helper_id: int  # writes activities on unassigned customers; NULL when no users
    words: ModuleType = vocab  # the vocabulary names and texts come from

    @property
    def start(self):
        return period_start(self.as_of)

    @property
    def days(self):
        return (self.as_of - self.start).days

    @property
    def start_epoch(self):
        return (self.start - EPOCH).days


def make_world(
    *,
    seed,
    as_of,
    first_customer_id,
    base,
    rates,
    product_rows,
    tags,
    campaigns,
    owners,
    words=vocab,
):
    """``rates``: (currency, valid_on, Decimal); ``product_rows``: (id, sku, list_price,
    unit_cost); ``tags``: (id, name); ``campaigns``: (id, channel) in schedule order;
    ``owners``: (user id or None, weight)."""
    currencies = (base, *sorted({currency for currency, _day, _rate in rates} - {base}))
    # Index 0, the base currency, needs no rates.
    rate_days, rate_units = [np.array([], np.int64)], [np.array([], np.int64)]
    start = period_start(as_of)
    first_rates = [Decimal(1)]
    for currency in currencies[1:]:
        own = sorted((day, rate) for c, day, rate in rates if c == currency)
        rate_days.append(np.array([(day - EPOCH).days for day, _rate in own]))
        rate_units.append(np.array([int(rate * RATE_UNIT) for _day, rate in own]))
        in_force = [rate for day, rate in own if day <= start] or [own[0][1]]
        first_rates.append(in_force[-1])
    specs = {spec.sku: spec for spec in words.PRODUCTS}
    # Foreign price lists are fixed in their own currency (EUR 299.00, not a new price
    # every month): converted once at the rate in force when the period starts.
    price_cents = [
        [int(to_cents(price / rate) * 100) for _id, _sku, price, _cost in product_rows]
        for rate in first_rates
    ]
    cost_cents = [
        [int(to_cents(cost / rate) * 100) for _id, _sku, _price, cost in product_rows]
        for rate in first_rates
    ]
    known = [specs.get(sku) for _id, sku, _price, _cost in product_rows]
    weights = np.array(
        [
            [spec.company_weight if spec else 1.0 for spec in known],
            [spec.person_weight if spec else 1.0 for spec in known],
        ]
    )
    tag_weight = dict(zip(words.TAGS, words.TAG_WEIGHTS, strict=True))
    owner_ids = np.array([NULL if user_id is None else user_id for user_id, _w in owners])
    owner_weights = np.array([weight for _user_id, weight in owners], dtype=float)
    assigned = [user_id for user_id, _w in owners if user_id is not None]
    return World(
        seed=seed,
        as_of=as_of,
        first_customer_id=first_customer_id,
        currencies=currencies,
        rate_days=tuple(rate_days),
        rate_units=tuple(rate_units),
        product_ids=np.array([row[0] for row in product_rows]),
        product_names=tuple(
            spec.name if spec else row[1] for spec, row in zip(known, product_rows, strict=True)
        ),
        price_cents=np.array(price_cents, dtype=np.int64),
        cost_cents=np.array(cost_cents, dtype=np.int64),
        product_weights=weights / weights.sum(axis=1, keepdims=True),
        tag_ids=np.array([tag_id for tag_id, _name in tags]),
        tag_weights=np.array([tag_weight.get(name, 1) for _id, name in tags], dtype=float),
        campaign_ids=np.array([campaign_id for campaign_id, _channel in campaigns]),
        campaign_referral=np.array([channel == "referral" for _id, channel in campaigns]),
        owner_ids=owner_ids,
        owner_weights=owner_weights / owner_weights.sum(),
        helper_id=assigned[0] if assigned else NULL,
        words=words,
    )


# --- Who the customers are and how they came ---------------------------------------------


@dataclass(frozen=True)
class Population:
    """What must be known for all customers before any is written: the day each was
    acquired (non-decreasing with the index, so referrers can be earlier customers) and
    the campaign that brought them, which sets the campaigns' budgets."""

    acquired: np.ndarray  # days after the period start
    campaign: np.ndarray  # index into the campaign schedule, NULL for none
    referred: np.ndarray  # bool: came by word of mouth


def population(*, seed, size, as_of, schedule):
    rng = np.random.default_rng([seed, 0])
    start = period_start(as_of)
    days = (as_of - start).days
    # Sign-ups grow over the years; the last week is left for first orders to land in.
    growth = 0.9
    share = (np.arange(size) + rng.random(size)) / size
    acquired = np.floor(np.log1p(share * np.expm1(growth)) / growth * (days - 7))
    acquired = acquired.astype(np.int32)
    first_day = np.array([(c.starts_on - start).days for c in schedule])
    end_day = np.array([((c.ends_on or as_of) - start).days + 1 for c in schedule])
    weight = np.array([c.weight for c in schedule])
    campaign = np.full(size, NULL, np.int16)
    referred = np.zeros(size, bool)
    for lo in range(0, size, CHUNK):
        day = acquired[lo : lo + CHUNK, None]
        pull = np.cumsum(((day >= first_day) & (day < end_day)) * weight, axis=1)
        draw = rng.random(len(day)) * pull[:, -1]
        pick = (pull <= draw[:, None]).sum(axis=1)
        from_campaign = (pull[:, -1] > 0) & (rng.random(len(day)) < 0.45)
        campaign[lo : lo + CHUNK] = np.where(from_campaign, pick, NULL)
        referred[lo : lo + CHUNK] = ~from_campaign & (rng.random(len(day)) < 0.25)
    return Population(acquired=acquired, campaign=campaign, referred=referred)


# --- One chunk of customers with everything that hangs off them ---------------------------


def _pick(options, index):
    return [options[i] for i in index.tolist()]


def _top_k(rng, weights, k):
    """For each row, ``k[row]`` distinct column indices drawn by ``weights`` (rows, cols),
    as (row of each pick, pick): weighted sampling without replacement (Gumbel top-k)."""
    keys = np.log(weights) - np.log(-np.log(rng.random(weights.shape)))
    order = np.argsort(-keys, axis=1)
    rows = np.repeat(np.arange(len(k)), k)
    rank = np.arange(len(rows)) - np.repeat(np.cumsum(k) - k, k)
    return rows, order[rows, rank]


def _round_rate(cents, units):
    """cents x rate rounded half up to cents, for non-negative cents: what
    ``orders.totals.convert`` does, for whole arrays."""
    return (cents * units + RATE_UNIT // 2) // RATE_UNIT


def _seconds(world, day):
    return (world.start_epoch + day) * DAY


def _take(ids, model, count):
    start = ids[model]
    ids[model] = start + count
    return np.arange(start, start + count, dtype=np.int64)


def _dates(world, day):
    return np.where(day == NULL, NULL, world.start_epoch + day)


def chunk(world, pop, lo, hi, ids):
    """Tables for customers ``lo``..``hi`` (population indices), in the order they must be
    written. ``ids`` maps a model label to its next free primary key and is advanced."""
    rng = np.random.default_rng([world.seed, 1, lo])
    people = _people(world, pop, lo, hi, rng)
    orders, lines, history = _orders(world, people, rng, ids)
    return [
        _customer_table(world, people, history, rng),
        _tag_table(world, people, rng, ids),
        _contact_table(world, people, rng, ids),
        _activity_table(world, people, rng, ids),
        orders,
        lines,
        _cost_table(world, people, history, rng, ids),
    ]


@dataclass(frozen=True)
class _People:
    ids: np.ndarray
    index: np.ndarray  # in the population
    acquired: np.ndarray  # day
    campaign: np.ndarray
    referred: np.ndarray
    region: np.ndarray
    company: np.ndarray
    segment: np.ndarray
    currency: np.ndarray  # index into world.currencies
    owner: np.ndarray
    created: np.ndarray  # seconds
    text: dict  # column name -> list of str

    def __len__(self):
        return len(self.ids)


@functools.cache
def _slug(text):
    """ "Müller & Co" -> "mullerco", for email addresses and domains."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _latin(words, text):
    """``text`` in Latin letters for an email address or a domain: "Müller" → "muller",
    "张" → "zhang"."""
    return _slug(words.ROMAN.get(text, text))


def _per_region(words, region, rng, attribute):
    """For each row, one entry of its region's ``attribute`` list."""
    lists = [getattr(r, attribute) for r in words.REGIONS]
    index = (rng.random(len(region)) * np.array([len(x) for x in lists])[region]).astype(int)
    return [lists[r][i] for r, i in zip(region.tolist(), index.tolist(), strict=True)]


def _people(world, pop, lo, hi, rng):
    n = hi - lo
    words = world.words
    regions = words.REGIONS
    region = rng.choice(len(regions), n, p=[r.weight for r in regions])
    company = rng.random(n) < 0.6
    local = np.array(
        [
            world.currencies.index(r.currency) if r.currency in world.currencies else 0
            for r in regions
        ]
    )
    first = _per_region(words, region, rng, "first_names")
    last = _per_region(words, region, rng, "last_names")
    partner = _per_region(words, region, rng, "last_names")
    suffix = _per_region(words, region, rng, "legal_suffixes")
    city = _per_region(words, region, rng, "cities")
    word_a = _pick(words.COMPANY_FIRST, rng.integers(0, len(words.COMPANY_FIRST), n))
    word_b = _pick(words.COMPANY_SECOND, rng.integers(0, len(words.COMPANY_SECOND), n))
    style = rng.random(n).tolist()
    street = _pick(words.STREETS, rng.integers(0, len(words.STREETS), n))
    house = rng.integers(1, 240, n).tolist()
    industry = _pick(words.INDUSTRIES, rng.integers(0, len(words.INDUSTRIES), n))
    mailbox = _pick(words.EMAIL_LOCAL_PARTS, rng.integers(0, len(words.EMAIL_LOCAL_PARTS), n))
    phone_limit = np.array([r.phone_numbers for r in regions])[region]
    phone_number = (rng.random(n) * phone_limit).astype(int).tolist()
    has_phone = (rng.random(n) >= 0.06).tolist()
    has_email = (rng.random(n) >= 0.04).tolist()
    ids = world.first_customer_id + np.arange(lo, hi)
    id_list = ids.tolist()
    text = {
        key: [] for key in ("name", "email", "phone", "website", "industry", "address", "domain")
    }
    for i, (r, is_company) in enumerate(zip(region.tolist(), company.tolist(), strict=True)):
        if is_company:
            # With a legal suffix, without one, or named after two partners.
            pattern, domain_words = words.COMPANY_NAMES[(style[i] >= 0.6) + (style[i] >= 0.85)]
            parts = {
                "a": word_a[i],
                "b": word_b[i],
                "suffix": suffix[i],
                "last": last[i],
                "partner": partner[i],
                "city": city[i],
            }
            name = pattern.format(**parts)
            domain = "".join(_latin(words, parts[key]) for key in domain_words) + ".example.com"
            email = f"{mailbox[i]}@{domain}"
            website = f"https://www.{domain}"
            text["industry"].append(industry[i])
        else:
            name = words.PERSON_NAME.format(first=first[i], last=last[i])
            domain = ""
            email = f"{_latin(words, first[i])}.{_latin(words, last[i])}{id_list[i]}@example.com"
            website = ""
            text["industry"].append("")
        text["name"].append(name)
        text["domain"].append(domain)
        text["email"].append(email if has_email[i] else "")
        text["website"].append(website)
        text["phone"].append(
            regions[r].phone_format.format(phone_number[i]) if has_phone[i] else ""
        )
        text["address"].append(words.ADDRESS.format(house=house[i], street=street[i], city=city[i]))
    acquired = pop.acquired[lo:hi].astype(np.int64)
    return _People(
        ids=ids,
        index=np.arange(lo, hi),
        acquired=acquired,
        campaign=pop.campaign[lo:hi].astype(np.int64),
        referred=pop.referred[lo:hi],
        region=region,
        company=company,
        segment=rng.choice(len(SEGMENT_SHARE), n, p=SEGMENT_SHARE),
        currency=np.where(rng.random(n) < 0.25, local[region], 0),
        owner=world.owner_ids[rng.choice(len(world.owner_ids), n, p=world.owner_weights)],
        created=_seconds(world, acquired) + 8 * 3600 + rng.integers(0, 10 * 3600, n),
        text=text,
    )


@dataclass(frozen=True)
class _History:
    first: np.ndarray  # day of the first order, NULL for leads
    last: np.ndarray  # day of the last order, NULL for leads
    end: np.ndarray  # day the customer stops buying (exclusive)
    lapsed: np.ndarray  # bool


ORDER_STATUSES = np.array(["placed", "paid", "cancelled", "refunded"])
PLACED, PAID, CANCELLED, REFUNDED = range(4)


def _rates(world, currency, epoch_day):
    """The rate in force on each day: the latest one valid from that day or earlier, as
    the app looks it up."""
    units = np.full(len(currency), RATE_UNIT, np.int64)
    for c in range(1, len(world.currencies)):
        mask = currency == c
        at = np.searchsorted(world.rate_days[c], epoch_day[mask], side="right") - 1
        units[mask] = world.rate_units[c][np.maximum(at, 0)]
    return units


def _orders(world, people, rng, ids):
    n, days, segment = len(people), world.days, people.segment
    buyer = segment != LEAD
    yearly = SEGMENT_RATE[segment] * rng.gamma(2.0, 0.5, n)
    lapsed = buyer & (rng.random(n) < SEGMENT_LAPSE[segment])
    first = np.minimum(people.acquired + np.minimum(rng.geometric(0.25, n) - 1, 21), days - 1)
    lifetime = 30 + rng.exponential(300, n).astype(np.int64)
    end = np.where(lapsed, np.minimum(people.acquired + lifetime, days), days)
    end = np.maximum(end, first + 1)
    span = end - first
    repeat = (segment >= OCCASIONAL) & (span >= 2)
    repeats = np.where(repeat, np.minimum(rng.poisson(yearly * span / 365.25), 250), 0)

    by = np.repeat(np.arange(n), repeats)
    day = first[by] + 1 + (rng.random(len(by)) * (span[by] - 1)).astype(np.int64)
    # Seasonal buyers shop around November or April: move most of their orders there.
    season = np.where(rng.random(n) < 0.7, 10, 3)[by]
    year = (world.start_epoch + day).astype("datetime64[D]").astype("datetime64[Y]")
    moved = (year.astype("datetime64[M]") + season).astype("datetime64[D]").astype(np.int64)
    moved = moved - world.start_epoch + rng.integers(0, 50, len(by))
    move = (segment[by] == SEASONAL) & (rng.random(len(by)) < 0.8)
    move &= (moved > first[by]) & (moved < end[by])
    day = np.where(move, moved, day)

    buyers = np.flatnonzero(buyer)
    cust = np.concatenate([buyers, by])
    day = np.concatenate([first[buyers], day])
    order = np.lexsort((cust, day))  # numbered by date, like a real shop
    cust, day = cust[order], day[order]
    last = np.full(n, NULL, np.int64)
    np.maximum.at(last, cust, day)
    history = _History(first=np.where(buyer, first, NULL), last=last, end=end, lapsed=lapsed)

    m = len(cust)
    order_ids = _take(ids, "orders.Order", m)
    currency = people.currency[cust]
    units = _rates(world, currency, world.start_epoch + day)
    draw = rng.random(m)
    recent = day >= days - RECENT_DAYS
    status = np.where(
        recent,
        np.select([draw < 0.02, draw < 0.6], [CANCELLED, PLACED], PAID),
        np.select([draw < 0.03, draw < 0.045, draw < 0.065], [CANCELLED, REFUNDED, PLACED], PAID),
    )
    partial = ~recent & (draw >= 0.065) & (draw < 0.075)

    count = rng.choice(4, m, p=[0.2, 0.3, 0.3, 0.2]) + 1
    kind = np.where(people.company[cust], 0, 1)
    rows, product = _top_k(rng, world.product_weights[kind], count)
    line_currency = currency[rows]
    bulk = rng.random(m) < 0.1
    draw = rng.random(len(rows))
    quantity = np.where(
        people.company[cust][rows],
        1 + np.minimum(rng.poisson(np.where(bulk[rows], 8.0, 1.2)), 39),
        1 + (draw < 0.15) + (draw < 0.04),
    )
    price = world.price_cents[line_currency, product]
    cost = world.cost_cents[line_currency, product]
    gross = quantity * price
    percent = rng.choice([5, 10, 15, 20], len(rows)) * (rng.random(len(rows)) < 0.12)
    discount = (gross * percent + 50) // 100

    starts = np.cumsum(count) - count
    subtotal = np.add.reduceat(gross, starts)
    discount_total = np.add.reduceat(discount, starts)
    cost_total = np.add.reduceat(quantity * cost, starts)
    total = subtotal - discount_total
    refunded = np.where(
        status == REFUNDED,
        total,
        np.where(partial, total * rng.integers(10, 51, m) // 100, 0),
    )
    money = {
        "subtotal": subtotal,
        "discount_total": discount_total,
        "total": total,
        "cost_total": cost_total,
        "refunded_total": refunded,
        "total_base": _round_rate(total, units),
        "cost_base": _round_rate(cost_total, units),
        "refunded_base": _round_rate(refunded, units),
    }
    line_money = {"unit_price": price, "unit_cost": cost, "discount": discount}
    sample = np.unique(np.linspace(0, m - 1, min(m, 50)).astype(np.int64)) if m else []
    check_totals(sample, starts, count, quantity, line_money, units, money)

    created = _seconds(world, day) + 9 * 3600 + rng.integers(0, 9 * 3600, m)
    orders = Table(
        "orders.Order",
        (
            Column("id", INT, order_ids),
            Column("customer_id", INT, people.ids[cust]),
            Column("number", TEXT, [order_number(i) for i in order_ids.tolist()]),
            Column("status", TEXT, ORDER_STATUSES[status].tolist()),
            Column("ordered_on", DATE, world.start_epoch + day),
            Column("currency", TEXT, _pick(world.currencies, currency)),
            Column("exchange_rate", RATE, units),
            *(Column(name, MONEY, values) for name, values in money.items()),
            Column("note", TEXT, [""] * m),
            Column("created_by_id", REF, people.owner[cust]),
            # Order.customer_owner: the customer's owner, copied as the app keeps it.
            Column("customer_owner_id", REF, people.owner[cust]),
            Column("created_at", TIME, created),
            Column("updated_at", TIME, created),
        ),
    )
    lines = Table(
        "orders.OrderLine",
        (
            Column("id", INT, _take(ids, "orders.OrderLine", len(rows))),
            Column("order_id", INT, order_ids[rows]),
            Column("product_id", INT, world.product_ids[product]),
            Column("quantity", INT, quantity),
            *(Column(name, MONEY, values) for name, values in line_money.items()),
        ),
    )
    return orders, lines, history


def _cents(value):
    return Decimal(int(value)).scaleb(-2)


_TOTALS = ("subtotal", "discount_total", "total", "cost_total", "total_base", "cost_base")


def check_totals(sample, starts, count, quantity, line_money, units, money):
    """Recompute the sampled orders with ``orders.totals`` and fail loudly on any
    difference from the vectorised sums."""
    for o in sample:
        span = range(starts[o], starts[o] + count[o])
        lines = [
            LineInput(
                quantity=int(quantity[i]),
                unit_price=_cents(line_money["unit_price"][i]),
                unit_cost=_cents(line_money["unit_cost"][i]),
                discount=_cents(line_money["discount"][i]),
            )
            for i in span
        ]
        rate = Decimal(int(units[o])).scaleb(-8)
        expected = order_totals(lines, rate)
        for name in _TOTALS:
            if getattr(expected, name) != _cents(money[name][o]):
                raise ArithmeticError(f"demo order {name} differs from orders.totals")
        if convert(_cents(money["refunded_total"][o]), rate) != _cents(money["refunded_base"][o]):
            raise ArithmeticError("demo order refunded_base differs from orders.totals")


def _customer_table(world, people, history, rng):
    n, days, segment = len(people), world.days, people.segment
    lapse_lag = 60 + rng.integers(0, 180, n)
    one_off_lag = 90 + rng.integers(0, 210, n)
    lapsed = history.lapsed & (history.last + lapse_lag < days)
    one_off = (segment == ONE_OFF) & (history.first < days - 400) & (rng.random(n) < 0.35)
    churned_on = np.select(
        [lapsed, one_off], [history.last + lapse_lag, history.first + one_off_lag], NULL
    )
    status = np.where(segment == LEAD, "lead", np.where(churned_on != NULL, "churned", "active"))
    words = world.words
    reason = _pick(words.CHURN_REASONS, rng.integers(0, len(words.CHURN_REASONS), n))
    referred = people.referred | np.where(
        people.campaign != NULL, world.campaign_referral[np.maximum(people.campaign, 0)], False
    )
    referrer = world.first_customer_id + (rng.random(n) * people.index).astype(np.int64)
    text = people.text
    return Table(
        "customers.Customer",
        (
            Column("id", INT, people.ids),
            Column("name", TEXT, text["name"]),
            Column("kind", TEXT, np.where(people.company, "company", "person").tolist()),
            Column("email", TEXT, text["email"]),
            Column("phone", TEXT, text["phone"]),
            Column("website", TEXT, text["website"]),
            Column("industry", TEXT, text["industry"]),
            Column("region", TEXT, _pick([r.name for r in words.REGIONS], people.region)),
            Column("address", TEXT, text["address"]),
            Column("owner_id", REF, people.owner),
            Column("status", TEXT, status.tolist()),
            Column("churned_on", DATE, _dates(world, churned_on)),
            Column(
                "churn_reason",
                TEXT,
                [r if c != NULL else "" for r, c in zip(reason, churned_on.tolist(), strict=True)],
            ),
            # A lead has not bought yet, so it has not been acquired either.
            Column(
                "acquired_on", DATE, _dates(world, np.where(segment == LEAD, NULL, people.acquired))
            ),
            Column(
                "acquired_by_campaign_id",
                REF,
                np.where(
                    people.campaign != NULL,
                    world.campaign_ids[np.maximum(people.campaign, 0)],
                    NULL,
                ),
            ),
            Column("referred_by_id", REF, np.where(referred & (people.index > 0), referrer, NULL)),
            Column("external_id", TEXT, [f"C{i:06d}" for i in people.ids.tolist()]),
            Column("marketing_opt_out", BOOL, rng.random(n) < 0.05),
            Column("language", TEXT, [words.CUSTOMER_LANGUAGE] * n),
            Column("created_at", TIME, people.created),
            Column("updated_at", TIME, people.created),
        ),
    )


def _tag_table(world, people, rng, ids):
    n = len(people)
    count = np.minimum(rng.choice(4, n, p=[0.45, 0.35, 0.15, 0.05]), len(world.tag_ids))
    weights = np.broadcast_to(world.tag_weights, (n, len(world.tag_ids)))
    rows, tag = _top_k(rng, weights, count)
    return Table(
        "customers.Customer_tags",
        (
            Column("id", INT, _take(ids, "customers.Customer_tags", len(rows))),
            Column("customer_id", INT, people.ids[rows]),
            Column("tag_id", INT, world.tag_ids[tag]),
        ),
    )


def _contact_table(world, people, rng, ids):
    n, words = len(people), world.words
    count = np.where(people.company, rng.choice(4, n, p=[0.15, 0.45, 0.25, 0.15]), 0)
    rows = np.repeat(np.arange(n), count)
    rank = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    region = people.region[rows]
    first = _per_region(words, region, rng, "first_names")
    last = _per_region(words, region, rng, "last_names")
    domain = _pick(people.text["domain"], rows)
    phone_number = (rng.random(len(rows)) * 10_000).astype(int).tolist()
    return Table(
        "customers.Contact",
        (
            Column("id", INT, _take(ids, "customers.Contact", len(rows))),
            Column("customer_id", INT, people.ids[rows]),
            Column(
                "name",
                TEXT,
                [
                    words.PERSON_NAME.format(first=f, last=s)
                    for f, s in zip(first, last, strict=True)
                ],
            ),
            Column(
                "role",
                TEXT,
                _pick(words.CONTACT_ROLES, rng.integers(0, len(words.CONTACT_ROLES), len(rows))),
            ),
            Column(
                "email",
                TEXT,
                [
                    f"{_latin(words, f)}.{_latin(words, s)}@{d}"
                    for f, s, d in zip(first, last, domain, strict=True)
                ],
            ),
            Column(
                "phone",
                TEXT,
                [
                    words.REGIONS[r].phone_format.format(p % words.REGIONS[r].phone_numbers)
                    for r, p in zip(region.tolist(), phone_number, strict=True)
                ],
            ),
            Column("is_primary", BOOL, rank == 0),
            Column("created_at", TIME, people.created[rows]),
        ),
    )


ACTIVITY_KINDS = ("note", "call", "email", "meeting", "task")
TASK = ACTIVITY_KINDS.index("task")


def _activity_table(world, people, rng, ids):
    n, days = len(people), world.days
    count = np.minimum(rng.poisson(np.where(people.index < ACTIVITY_RICH, 2.0, 0.15)), 6)
    rows = np.repeat(np.arange(n), count)
    a = len(rows)
    kind = rng.choice(len(ACTIVITY_KINDS), a, p=[0.25, 0.25, 0.15, 0.1, 0.25])
    as_of = _seconds(world, days)
    created = people.created[rows]
    first_day = created // DAY - world.start_epoch
    occurred_day = first_day + (rng.random(a) * (days - first_day)).astype(np.int64)
    # Office hours, and never before the customer existed.
    occurred = _seconds(world, occurred_day) + 8 * 3600 + rng.integers(0, 10 * 3600, a)
    occurred = np.maximum(occurred, created)
    task = kind == TASK
    # Some tasks were set in the last weeks, so the task list has work for this week.
    recent = task & (rng.random(a) < RECENT_TASKS)
    recent_day = np.maximum(days - 1 - rng.integers(0, RECENT_TASK_DAYS, a), first_day)
    occurred_day = np.where(recent, recent_day, occurred_day)
    occurred = np.where(
        recent,
        np.maximum(
            _seconds(world, occurred_day) + 8 * 3600 + rng.integers(0, 10 * 3600, a), created
        ),
        occurred,
    )
    due = occurred_day + 2 + rng.integers(0, 28, a)
    # Tasks due long ago are done; about a third of those due in the last two weeks are still
    # open (overdue); few future ones are done.
    chance = np.select([due < days - OPEN_TASK_DAYS, due < days], [1.0, 0.7], 0.1)
    done = task & (rng.random(a) < chance)
    finished = np.minimum(_seconds(world, due) + 17 * 3600, as_of)
    done_at = occurred + (rng.random(a) * (finished - occurred)).astype(np.int64)
    owner = people.owner[rows]
    author = np.where(owner == NULL, world.helper_id, owner)
    words = world.words
    template = [words.ACTIVITY_SUBJECTS[k] for k in _pick(ACTIVITY_KINDS, kind)]
    choice = (rng.random(a) * np.array([len(t) for t in template])).astype(int).tolist()
    product = _pick(world.product_names, rng.integers(0, len(world.product_names), a))
    role = _pick(words.CONTACT_ROLES, rng.integers(0, len(words.CONTACT_ROLES), a))
    quarter = rng.integers(1, 5, a).tolist()
    subject = [
        t[c].format(product=p, role=r, quarter=q)
        for t, c, p, r, q in zip(template, choice, product, role, quarter, strict=True)
    ]
    return Table(
        "customers.Activity",
        (
            Column("id", INT, _take(ids, "customers.Activity", a)),
            Column("customer_id", INT, people.ids[rows]),
            Column("kind", TEXT, _pick(ACTIVITY_KINDS, kind)),
            Column("subject", TEXT, subject),
            Column(
                "body",
                TEXT,
                _pick(words.ACTIVITY_BODIES, rng.integers(0, len(words.ACTIVITY_BODIES), a)),
            ),
            Column("author_id", REF, author),
            Column("occurred_at", TIME, occurred),
            Column("due_on", DATE, np.where(task, world.start_epoch + due, NULL)),
            Column("assignee_id", REF, np.where(task, author, NULL)),
            Column("done", BOOL, done),
            Column("done_at", TIME, np.where(done, done_at, NULL)),
        ),
    )


COST_KINDS = ("service", "marketing", "other")


def _cost_table(world, people, history, rng, ids):
    n = len(people)
    count = np.where((history.first != NULL) & (rng.random(n) < 0.2), rng.integers(1, 4, n), 0)
    rows = np.repeat(np.arange(n), count)
    c = len(rows)
    kind = rng.choice(len(COST_KINDS), c, p=[0.6, 0.3, 0.1])
    ranges = np.array([world.words.COST_RANGES[k] for k in COST_KINDS])
    low, high = ranges[kind, 0], ranges[kind, 1]
    amount = (low + rng.random(c) * (high - low)).astype(np.int64) * 100
    amount += np.where(rng.random(c) < 0.3, 50, 0)
    first = history.first[rows]
    day = first + (rng.random(c) * (history.end[rows] - first)).astype(np.int64)
    notes = [world.words.COST_NOTES[k] for k in _pick(COST_KINDS, kind)]
    note = [x[int(u * len(x))] for x, u in zip(notes, rng.random(c).tolist(), strict=True)]
    return Table(
        "orders.CustomerCost",
        (
            Column("id", INT, _take(ids, "orders.CustomerCost", c)),
            Column("customer_id", INT, people.ids[rows]),
            Column("kind", TEXT, _pick(COST_KINDS, kind)),
            Column("incurred_on", DATE, world.start_epoch + day),
            Column("amount", MONEY, amount),
            Column("currency", TEXT, [world.currencies[0]] * c),
            Column("amount_base", MONEY, amount),
            Column("note", TEXT, note),
            Column("created_by_id", REF, people.owner[rows]),
        ),
    )
