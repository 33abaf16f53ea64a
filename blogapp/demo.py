"""Demo content written by the team, to see every kind of post the theme must carry.

``load_demo`` is idempotent: rows are matched by login or slug, and a second run
adds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from blogapp import clock
from blogapp.authors.services import profile_for_user, set_bylines
from blogapp.content import render_page, render_post
from blogapp.extensions import db
from blogapp.models import (
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    ROLE_EDITOR,
    Category,
    Page,
    Post,
    PostStatus,
    Tag,
    User,
)

USERS = [
    # login, display name (may be empty), email
    ("sokha", "Sokha Chan", "sokha@example.org"),
    ("dara", "Dara Vuthy", "dara@example.org"),
    ("guestwriter", "", "guest@example.org"),
]

# slug, name, parent slug, description
CATEGORIES = [
    ("politics", "Politics", None, "Elections, parties and the state."),
    ("asia", "Asia", "politics", "Politics across the region."),
    ("cambodia", "Cambodia", "asia", "Cambodian politics and public life."),
    ("society", "Society", None, "How we live together."),
    ("education", "Education", "society", "Schools, universities and learning."),
    ("economy", "Economy", None, "Work, trade and money."),
]


@dataclass
class DemoPost:
    slug: str
    title: str
    author: str
    days_ago: float
    body: str
    categories: list[str]
    tags: list[str] = field(default_factory=list)
    language: str = "en"
    status: str = PostStatus.PUBLISHED
    source_line: str = ""
    excerpt: str = ""
    content_format: str = FORMAT_MARKDOWN


POSTS = [
    DemoPost(
        "why-local-elections-matter",
        "Why Local Elections Matter More Than We Admit",
        "sokha",
        1,
        """National campaigns fill the screens, but the decisions that shape a morning
commute, a clinic queue or a flooded road are taken much closer to home.

<!--more-->

Commune councils decide where a culvert goes and which market gets a roof. When
turnout falls at that level, the people who still vote are the ones with the most
to gain from the status quo.

Three habits would change that:

1. Publish every council budget in plain language, line by line.
2. Hold at least one meeting a year in the evening, when working people can come.
3. Count and publish turnout by village, so that silence is visible.

None of this needs a new law. It needs councillors who expect to be asked.""",
        ["cambodia"],
        ["elections", "local government"],
        source_line="Op-Ed: first published in The Provincial Review",
    ),
    DemoPost(
        "the-quiet-cost-of-school-fees",
        "The Quiet Cost of 'Free' School",
        "dara",
        3,
        """Public school is free on paper. In practice, families pay for:

- extra evening classes taught by the same teachers;
- uniforms, shoes and a bicycle for the long ride;
- exam "fees" that appear on no official list.

> A system that is free only for those who can pay is not free. It is a toll road
> with the booth moved out of sight.

The answer is not to blame teachers, whose salaries have trailed the cost of living
for a decade, but to pay them enough that the evening class becomes a choice again.""",
        ["education"],
        ["schools", "inequality"],
    ),
    DemoPost(
        "a-river-and-its-people",
        "A River and Its People",
        "sokha",
        5,
        """<p>Every dry season the river pulls back and shows what it carries: silt, plastic,
and the outline of fishing lots that families have worked for generations.</p>
<figure><img src="/static/img/demo/river-at-dusk.jpg" alt="A wide river at dusk with small boats near the bank" width="800" height="450">
<figcaption>Boats near the bank at dusk. Image Credit: Blogapp demo team</figcaption></figure>
<p>Dams upstream change the timing of the flood pulse. Fish that spawned in the
flooded forest arrive late or not at all.</p>
<!--more-->
<p>Compensation schemes pay once for a loss that repeats every year. A fairer scheme
would pay a share of electricity revenue to the communities downstream, for as long
as the turbines turn.</p>""",
        ["asia", "economy"],
        ["environment", "rivers"],
        content_format=FORMAT_HTML,
    ),
    DemoPost(
        "democracy-and-civil-society-km",
        "ប្រជាធិបតេយ្យ និង​សង្គម​ស៊ីវិល",
        "dara",
        7,
        """ប្រជាធិបតេយ្យ​មិន​មែន​ត្រឹម​តែ​ការ​បោះឆ្នោត​ម្ដង​ក្នុង​រយៈពេល​ប្រាំ​ឆ្នាំ​នោះ​ទេ។ វា​ជា​ការ​ចូលរួម​របស់​ប្រជាពលរដ្ឋ​ជា​រៀងរាល់​ថ្ងៃ​ក្នុង​ជីវិត​សង្គម។

សង្គម​ស៊ីវិល​ដែល​រឹងមាំ​ជួយ​ឲ្យ​សំឡេង​របស់​ប្រជាជន​ត្រូវ​បាន​ឮ ហើយ​ជួយ​ឲ្យ​អ្នក​ដឹកនាំ​ទទួល​ខុស​ត្រូវ​ចំពោះ​សកម្មភាព​របស់​ខ្លួន។

- ការ​ចូលរួម​ក្នុង​កិច្ចប្រជុំ​ឃុំ
- ការ​តាមដាន​ថវិកា​សាធារណៈ
- ការ​គាំទ្រ​សារព័ត៌មាន​ឯករាជ្យ

យើង​ត្រូវ​ការ​កន្លែង​សុវត្ថិភាព​ដើម្បី​ពិភាក្សា​ដោយ​សេរី និង​ដោយ​ការ​គោរព​គ្នា​ទៅ​វិញ​ទៅ​មក។""",
        ["cambodia", "society"],
        ["civil society"],
        language="km",
    ),
    DemoPost(
        "untitled-note-on-rain",
        "",
        "sokha",
        9,
        """The first rain of the season came at four in the afternoon, and within minutes
the street outside the ministry was a river. Nobody in the queue left. That
patience is a civic virtue we rarely name, and one that governments spend too
freely.""",
        ["society"],
    ),
    DemoPost(
        "a-guest-view-on-trade",
        "A Guest View: Trade Deals Need Daylight",
        "guestwriter",
        11,
        """Trade agreements are negotiated in rooms without windows and presented as
finished. By then the only choice left is yes or no.

Parliaments should see draft chapters while they can still change them. Business
groups already do; so should the people who will live with the result.""",
        ["economy", "asia"],
        ["trade"],
        source_line="By a guest contributor",
    ),
    DemoPost(
        "what-a-free-press-costs",
        "What a Free Press Costs, and Who Pays",
        "dara",
        14,
        """A newsroom is expensive in ways readers never see: lawyers, translators, the
reporter who spends three weeks on a story that may never run.

## Where the money comes from

Advertising built the modern newspaper and then moved to platforms that report
nothing. Subscriptions work for the few titles people already trust.

## What would help

- Tax relief for reader donations to non-profit newsrooms
- Public data published in formats a small newsroom can use
- Courts that dismiss suits filed only to exhaust a defendant

*Free* was always the wrong word. *Independent* is the one that matters.""",
        ["politics", "society"],
        ["media", "press freedom"],
        source_line="Op-Ed: Asia Times",
    ),
    DemoPost(
        "youth-and-the-ballot",
        "Young Voters Are Not Apathetic. They Are Unconvinced.",
        "sokha",
        18,
        """Every election season brings a new column about young people who do not vote.
Ask them, though, and you hear something closer to a verdict than indifference.""",
        ["politics"],
        ["elections", "youth"],
        excerpt="Young people who skip the ballot are passing a verdict, not shrugging.",
    ),
    DemoPost(
        "the-price-of-rice",
        "The Price of Rice Is a Political Number",
        "dara",
        23,
        """When the price of rice moves, governments move with it. Export bans, subsidies
and stockpiles are announced within days, because a hungry city is an unstable one.

Farmers, though, rarely see the upside of a price spike. Middlemen with storage
capture it. Cooperative warehouses would let growers wait for a better price
instead of selling at harvest, when everyone sells at once.""",
        ["economy", "cambodia"],
        ["agriculture"],
    ),
    DemoPost(
        "libraries-as-public-squares",
        "Libraries Are the Last Free Public Squares",
        "sokha",
        30,
        """A library asks nothing of you: no purchase, no membership fee, no reason for
being there. In a city where every bench is slowly being replaced by a café table,
that makes it radical.

Fund them like the infrastructure they are.""",
        ["society", "education"],
        ["public space"],
    ),
    DemoPost(
        "notes-from-a-polling-station",
        "Notes From a Polling Station",
        "guestwriter",
        41,
        """I spent election day as an observer in a school classroom. What I saw was
ordinary, and that was the point:

1. The ink was checked on every finger.
2. The ballot box was shown empty before the first vote.
3. The count was read aloud, one ballot at a time.

Ordinary is what trust looks like when it works.""",
        ["cambodia"],
        ["elections"],
    ),
    DemoPost(
        "courts-and-confidence",
        "Courts Earn Confidence One Ruling at a Time",
        "dara",
        55,
        """Trust in courts is not decreed. It is earned by rulings that are published,
reasoned and, now and then, inconvenient to the powerful.""",
        ["politics"],
        ["rule of law"],
    ),
    DemoPost(
        "draft-on-urban-transport",
        "Draft: Buses Before Flyovers",
        "sokha",
        0,
        "An unfinished draft about city buses. Readers must never see it.",
        ["society"],
        status=PostStatus.DRAFT,
    ),
    DemoPost(
        "scheduled-budget-preview",
        "Scheduled: Reading Next Year's Budget",
        "dara",
        -30,
        "A scheduled post that readers see only once its date has come.",
        ["economy"],
    ),
]

PAGES = [
    (
        "about",
        "About",
        """This blog publishes op-eds on politics and society, in English and in Khmer.

Comments are welcome and are read by a person before they appear. Please be
civil: argue with ideas, not with people.""",
    ),
]


def load_demo() -> dict[str, int]:
    """Add the demo rows that are missing; return how many of each were added."""
    added = {"users": 0, "categories": 0, "tags": 0, "posts": 0, "pages": 0}
    users = {u.login: u for u in db.session.scalars(select(User))}
    for login, display_name, email in USERS:
        if login not in users:
            users[login] = User(
                login=login, display_name=display_name, email=email, role=ROLE_EDITOR
            )
            db.session.add(users[login])
            added["users"] += 1

    categories = {c.slug: c for c in db.session.scalars(select(Category))}
    for slug, name, parent, description in CATEGORIES:
        if slug not in categories:
            categories[slug] = Category(
                slug=slug, name=name, description=description, parent=categories.get(parent)
            )
            db.session.add(categories[slug])
            added["categories"] += 1

    tags = {t.slug: t for t in db.session.scalars(select(Tag))}
    existing_posts = set(db.session.scalars(select(Post.slug)))
    now = clock.now()
    for item in POSTS:
        if item.slug in existing_posts:
            continue
        post_tags = []
        for name in item.tags:
            slug = name.replace(" ", "-")
            if slug not in tags:
                tags[slug] = Tag(slug=slug, name=name)
                added["tags"] += 1
            post_tags.append(tags[slug])
        when = (now - timedelta(days=item.days_ago)).replace(microsecond=0)
        post = Post(
            slug=item.slug,
            title=item.title,
            body=item.body,
            excerpt=item.excerpt,
            content_format=item.content_format,
            status=item.status,
            language=item.language,
            source_line=item.source_line,
            published_at=when,
            created_at=when,
            updated_at=now,
            author=users[item.author],
            categories=[categories[c] for c in item.categories],
            tags=post_tags,
        )
        render_post(post)
        db.session.add(post)
        set_bylines(post, [profile_for_user(users[item.author]).id])
        added["posts"] += 1

    existing_pages = set(db.session.scalars(select(Page.slug)))
    for slug, title, body in PAGES:
        if slug not in existing_pages:
            page = Page(
                slug=slug,
                title=title,
                body=body,
                status=PostStatus.PUBLISHED,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            render_page(page)
            db.session.add(page)
            added["pages"] += 1
    db.session.commit()
    return added
