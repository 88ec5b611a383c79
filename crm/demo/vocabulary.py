"""Word lists and catalogues the demo data is drawn from, in English (``vocabulary_zh``
has the same names in Chinese). Plain data, no logic: seeded choices over these lists make
every name, so no Faker dependency is needed.

Phone numbers use ranges set aside for fiction (555-01xx in North America, 020 7946 0xxx
in the UK) or obviously made-up digits; every email and website is under example.com."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    name: str
    weight: float
    currency: str  # what a customer there may pay in
    phone_format: str  # "{}" takes a number below phone_numbers
    phone_numbers: int
    cities: tuple
    legal_suffixes: tuple
    first_names: tuple
    last_names: tuple


# fmt: off
REGIONS = (
    Region(
        "North America", 0.34, "USD", "+1 617 555 01{:02d}", 100,
        ("Boston", "Chicago", "Denver", "Austin", "Seattle", "Toronto", "Atlanta", "Portland"),
        ("Inc.", "LLC", "Corp."),
        ("James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emily", "Daniel",
         "Olivia", "Kevin", "Grace", "Brian", "Chloe", "Jason", "Megan"),
        ("Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas",
         "Moore", "Martin", "Clark", "Lewis", "Walker", "Young", "Allen"),
    ),
    Region(
        "Europe", 0.2, "EUR", "+49 30 5550 {:04d}", 10_000,
        ("Berlin", "Munich", "Paris", "Lyon", "Madrid", "Milan", "Amsterdam", "Vienna"),
        ("GmbH", "SARL", "S.L.", "S.r.l.", "B.V."),
        ("Anna", "Lukas", "Marie", "Jonas", "Léa", "Hugo", "Lucía", "Pablo", "Giulia", "Marco",
         "Sophie", "Felix", "Emma", "Noah", "Clara", "Matteo"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Dubois", "Laurent", "García", "Martínez",
         "Rossi", "Bianchi", "de Vries", "Jansen", "Weber", "Moreau", "Romano", "Hofmann"),
    ),
    Region(
        "UK & Ireland", 0.1, "GBP", "+44 20 7946 0{:03d}", 1_000,
        ("London", "Manchester", "Leeds", "Bristol", "Edinburgh", "Dublin", "Cardiff"),
        ("Ltd", "plc", "& Sons Ltd"),
        ("Oliver", "Amelia", "Harry", "Isla", "George", "Ava", "Jack", "Freya", "Charlie", "Poppy",
         "Thomas", "Evie", "Liam", "Aoife", "Callum", "Niamh"),
        ("Jones", "Williams", "Evans", "Roberts", "Hughes", "Wright", "Walsh", "Murphy", "Kelly",
         "Byrne", "Campbell", "Stewart", "Patel", "Khan", "Hall", "Green"),
    ),
    Region(
        "Greater China", 0.1, "CNY", "+86 10 5550 {:04d}", 10_000,
        ("Beijing", "Shanghai", "Shenzhen", "Guangzhou", "Hangzhou", "Chengdu", "Suzhou"),
        ("Co., Ltd.", "Trading Co.", "Technology Co., Ltd."),
        ("Wei", "Fang", "Jing", "Lei", "Min", "Hao", "Xin", "Yan", "Jun", "Li", "Tao", "Ying",
         "Qiang", "Mei", "Bo", "Lan"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun",
         "Hu", "Zhu", "Gao", "Lin"),
    ),
    Region(
        "Asia Pacific", 0.15, "USD", "+61 2 5550 {:04d}", 10_000,
        ("Sydney", "Melbourne", "Singapore", "Auckland", "Tokyo", "Seoul", "Brisbane"),
        ("Pty Ltd", "Pte. Ltd.", "Limited", "K.K."),
        ("Jack", "Charlotte", "Hiroshi", "Yuki", "Min-jun", "Ji-woo", "Arjun", "Priya", "Ethan",
         "Mia", "Ken", "Sakura", "Ravi", "Aisha", "Lucas", "Zoe"),
        ("Nguyen", "Tanaka", "Sato", "Kim", "Park", "Lee", "Tan", "Lim", "Singh", "Sharma",
         "Wilson", "Thompson", "Suzuki", "Choi", "Ong", "Ng"),
    ),
    Region(
        "Latin America", 0.11, "USD", "+55 11 5550 {:04d}", 10_000,
        ("São Paulo", "Mexico City", "Buenos Aires", "Bogotá", "Santiago", "Lima"),
        ("S.A.", "Ltda.", "S.A. de C.V."),
        ("João", "Maria", "Pedro", "Ana", "Carlos", "Camila", "Diego", "Valentina", "Mateo",
         "Isabela", "Luis", "Sofía", "Andrés", "Gabriela", "Rafael", "Fernanda"),
        ("Silva", "Santos", "Oliveira", "Souza", "Pereira", "Rodríguez", "González", "López",
         "Hernández", "Gómez", "Díaz", "Torres", "Ramírez", "Flores", "Castro", "Rocha"),
    ),
)

# Two word lists make a company name: "Blue Harbor" + "Logistics".
COMPANY_FIRST = ("Acme", "Blue Harbor", "Northwind", "Silver Peak", "Redwood", "Bright Path",
                 "Greenfield", "Summit", "Lakeside", "Ironbridge", "Golden Gate", "Maple",
                 "Crescent", "Evergreen", "Pioneer", "Granite", "Sunrise", "Riverbend", "Oakridge",
                 "Starlight", "Harbor Point", "Cedar", "Falcon", "Blue Sky", "Westfield", "Orchid",
                 "Keystone", "Nova", "Atlas", "Horizon")
COMPANY_SECOND = ("Logistics", "Foods", "Consulting", "Architects", "Dental", "Media",
                  "Engineering", "Software", "Hotels", "Travel", "Motors", "Pharma", "Studios",
                  "Bakery", "Legal", "Accounting", "Clinic", "Robotics", "Textiles", "Energy",
                  "Builders", "Outfitters", "Analytics", "Print", "Labs")
INDUSTRIES = ("Software", "Healthcare", "Retail", "Manufacturing", "Professional services",
              "Hospitality", "Education", "Logistics", "Finance", "Construction", "Media")
STREETS = ("Market Street", "High Street", "Station Road", "Park Avenue", "Mill Lane",
           "Church Road", "King Street", "Harbour Road", "Garden Way", "Bridge Street",
           "Elm Road", "Lake Drive")
# fmt: on
# How the words make names, in this language's order ("{a}" and "{b}": COMPANY_FIRST and
# COMPANY_SECOND; "{suffix}": the region's legal suffix; "{last}" and "{partner}": last names).
PERSON_NAME = "{first} {last}"
# By style: most with a legal suffix, some without, a few named after two partners; each
# with the words its web domain is made of.
COMPANY_NAMES = (
    ("{a} {b} {suffix}", ("a", "b")),
    ("{a} {b}", ("a", "b")),
    ("{last} & {partner} {suffix}", ("last", "partner")),
)
ADDRESS = "{house} {street}, {city}"
# Latin spelling of the words above, for email addresses and domains; these words need none.
ROMAN = {}
# The base currency the prices and budgets below are in; None: whatever the app's is.
BASE_CURRENCY = None
CUSTOMER_LANGUAGE = ""  # the customers' preferred language: the site's default
USER_NAMES = {}  # (first, last) name of a demo user; else "Demo" and their role
EMAIL_LOCAL_PARTS = ("info", "hello", "office", "sales", "contact", "purchasing")
CONTACT_ROLES = (
    "CEO",
    "Head of purchasing",
    "Office manager",
    "IT lead",
    "Finance director",
    "Operations manager",
    "Facilities manager",
    "Executive assistant",
)
CHURN_REASONS = (
    "Switched to a competitor",
    "Price too high",
    "Business closed",
    "No longer needs our products",
    "Unhappy with delivery times",
    "Budget cuts",
    "Moved out of our service area",
)

TAGS = (
    "VIP",
    "Wholesale",
    "Newsletter",
    "Key account",
    "Partner",
    "Trade show",
    "Enterprise",
    "SMB",
    "Education",
    "Public sector",
)
# Relative chance of each tag, in the order of TAGS.
TAG_WEIGHTS = (1, 2, 6, 1, 1, 2, 2, 5, 1, 1)


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    list_price: str  # in the base currency
    margin_low: int  # gross margin range, percent of the list price
    margin_high: int
    company_weight: float  # how often companies / persons pick it
    person_weight: float


PRODUCTS = (
    ProductSpec("CHR-ERG", "Ergonomic chair", "349.00", 35, 45, 5, 3),
    ProductSpec("DSK-STD", "Standing desk", "599.00", 30, 40, 4, 1),
    ProductSpec("MON-27", "27-inch monitor", "279.00", 20, 28, 5, 2),
    ProductSpec("LAP-STD", "Laptop stand", "49.00", 50, 60, 3, 4),
    ProductSpec("KBD-WL", "Wireless keyboard", "79.00", 40, 50, 4, 4),
    ProductSpec("HDS-NC", "Noise-cancelling headset", "199.00", 30, 38, 3, 4),
    ProductSpec("DCK-USBC", "USB-C dock", "149.00", 35, 45, 4, 3),
    ProductSpec("CAM-HD", "HD webcam", "89.00", 40, 50, 3, 3),
    ProductSpec("LMP-LED", "LED desk lamp", "59.00", 45, 55, 2, 4),
    ProductSpec("CBL-KIT", "Cable kit", "19.90", 55, 60, 4, 5),
    ProductSpec("SUP-1Y", "Support plan (1 year)", "120.00", 50, 60, 3, 1),
    ProductSpec("SVC-INST", "Installation service", "150.00", 20, 30, 2, 1),
)

# Worth of one unit in US dollars around the start of the demo period; rates to the base
# currency are derived from these, so any of these can be the base currency.
USD_VALUE = {"USD": 1.0, "EUR": 1.08, "GBP": 1.26, "CNY": 0.138}
FOREIGN_CURRENCIES = ("EUR", "GBP", "CNY", "USD")


@dataclass(frozen=True)
class CampaignPlan:
    name: str  # "{year}" is replaced by the start year
    channel: str  # a campaigns.Campaign.Channel value
    start_month: int  # months after the start of the demo period
    months: int  # 0: still running at the as-of date, no end date
    weekly_spend: bool  # else monthly
    cac: int  # target acquisition cost; the budget is this times the customers it brings
    weight: float  # pull relative to other campaigns running on the same day


CAMPAIGNS = (
    CampaignPlan("Search ads: brand {year}", "search_ads", 0, 12, True, 140, 3.0),
    CampaignPlan("Launch webinar series {year}", "email", 2, 3, False, 45, 1.5),
    CampaignPlan("Office Expo trade fair {year}", "events", 5, 1, False, 420, 2.5),
    CampaignPlan("Partner resellers {year}", "partner", 8, 22, False, 230, 1.2),
    CampaignPlan("Refer a friend", "referral", 12, 0, False, 60, 1.0),
    CampaignPlan("Search ads: generic {year}", "search_ads", 13, 14, True, 180, 2.5),
    CampaignPlan("Social spring push {year}", "social", 16, 3, True, 110, 2.0),
    CampaignPlan("Asia buyers fair {year}", "events", 22, 1, False, 380, 2.0),
    CampaignPlan("Holiday email {year}", "email", 24, 2, False, 35, 2.0),
    CampaignPlan("Social retargeting {year}", "social", 28, 8, True, 120, 2.0),
)

ACTIVITY_SUBJECTS = {
    "note": (
        "Prefers email over phone",
        "Budget planning starts in Q{quarter}",
        "Asked about volume pricing for {product}",
        "Decision maker: {role}",
        "Happy with the last delivery",
    ),
    "call": (
        "Call about renewal",
        "Follow-up call on {product}",
        "Intro call",
        "Call about a late delivery",
        "Quarterly check-in call",
    ),
    "email": (
        "Sent quote for {product}",
        "Sent product catalogue",
        "Answered question about {product}",
        "Sent invoice copy",
    ),
    "meeting": (
        "Demo of {product}",
        "Quarterly business review",
        "Site visit",
        "Lunch meeting ({role})",
    ),
    "task": (
        "Send quote for {product}",
        "Follow up on open order",
        "Call back about {product}",
        "Prepare renewal offer",
        "Check delivery status",
        "Schedule a demo",
    ),
}
ACTIVITY_BODIES = (
    "",
    "Left a voicemail, will try again.",
    "Interested, wants a written offer.",
    "Needs approval from finance first.",
    "Very positive, likely to order more.",
    "Compared us with two competitors.",
)
# Whole units of the base currency a customer cost of each kind is between.
COST_RANGES = {"service": (20, 400), "marketing": (10, 150), "other": (5, 80)}
COST_NOTES = {
    "service": ("Support ticket", "On-site repair", "Replacement shipment", "Onboarding call"),
    "marketing": ("Gift box", "Trade-show invitation", "Sample kit", "Dinner invitation"),
    "other": ("Payment fees", "Credit insurance"),
}
