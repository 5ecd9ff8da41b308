"""One person, one entity across the corpus (issue 20): bare surnames and name variants join the
full name the evidence points to, never one of several without evidence; an old id answers
with the entity it joined; deleting the evidence undoes a merge; concurrent ingests agree.
On both engines, through the real ingest path and HTTP. The articles are written here."""

import threading
from pathlib import Path
from typing import Any

import pytest
from alembic.command import downgrade, upgrade
from sqlalchemy import Engine, text

from app.corpus.peoplerules import Evidence, choose, is_bare, shortens, surname_key, variants
from app.corpus.peoplewords import (
    in_list,
    initial_before,
    is_initialled,
    person_shaped,
    stray_context,
    titled,
    written_as_word,
)
from app.db.migrations import alembic_config
from app.engines.connect import create_db_engine
from app.ingest import delete_article
from app.ingest.run import ingest
from tests.conftest import MODEL, make_client
from tests.ingest.test_pipeline import write_jsonl

ARTICLES: dict[str, dict[str, Any]] = {
    "gwb": {
        "title": "Talks in Washington",
        "body": "President George W. Bush met Prime Minister Tony Blair at the White House on "
        "Monday. The two leaders discussed Iraq and the Middle East.",
        "source": "Wire",
        "published": "2005-01-10",
    },
    "gwb-variant": {
        "title": "Second term",
        "body": "George W Bush began his second term with a speech in Washington on Thursday.",
        "source": "Wire",
        "published": "2005-01-20",
    },
    "bush": {
        "title": "Iraq plan",
        "body": 'The White House said on Tuesday that Bush would visit Iraq soon. "We will '
        'stay the course in Iraq and we will finish the job," Bush said.',
        "source": "Wire",
        "published": "2005-01-11",
    },
    "gordon": {
        "title": "Budget",
        "body": "Chancellor Gordon Brown presented the budget to the House of Commons on "
        "Wednesday. Critics said the Treasury had got its sums wrong.",
        "source": "Wire",
        "published": "2005-03-16",
    },
    "wes": {
        "title": "Injury",
        "body": "The defender Wes Brown was injured in the match against Arsenal at Old "
        "Trafford on Saturday.",
        "source": "Sport Desk",
        "published": "2005-03-12",
    },
    "brown-budget": {
        "title": "More budget",
        "body": "Brown told the House of Commons that the Treasury would cut stamp duty. "
        "The budget pleased most MPs.",
        "source": "Wire",
        "published": "2005-03-17",
    },
    # a bare surname with no evidence when it comes, and the full name's later articles
    "quennell-far": {
        "title": "Orchard saved",
        "body": "The beekeeper Martha Quennell has bought the old cider orchard at Lydford "
        "and plans to open it to schoolchildren.",
        "source": "Parish Bulletin",
        "published": "2003-05-02",
    },
    "quennell-bare": {
        "title": "Hives stolen",
        "body": "Thieves took six hives from an orchard near Lydford overnight. She said "
        "the colonies would not survive the frost, Mrs Quennell told reporters.",
        "source": "Wire",
        "published": "2005-02-07",
    },
    "quennell-near": {
        "title": "Hives found",
        "body": "Four of the stolen hives were found in a lay-by on Wednesday, and Martha "
        "Quennell thanked the farmers who had searched their barns.",
        "source": "Wire",
        "published": "2005-02-09",
    },
    # a given name is a surname only after a courtesy title
    "spencer-full": {
        "title": "Library plans",
        "body": "Councillor Imelda Spencer unveiled the plans for a new library at the town "
        "hall on Monday.",
        "source": "Wire",
        "published": "2005-04-04",
    },
    "spencer-titled": {
        "title": "Library to open",
        "body": "Mrs Spencer said the library would open next spring and the council had "
        "agreed to pay for it.",
        "source": "Wire",
        "published": "2005-04-06",
    },
    "spencer-plain": {
        "title": "Cafe opens",
        "body": "Spencer and his brother opened a cafe in the market square on Saturday.",
        "source": "Wire",
        "published": "2005-04-07",
    },
    "brown-alone": {
        "title": "Seen in town",
        "body": "Brown was seen leaving a restaurant in London on Friday night with friends.",
        "source": "Gossip",
        "published": None,
    },
}


def records(*names: str) -> list[dict[str, Any]]:
    return [{"id": n, **ARTICLES[n]} for n in names]


def entity_of(engine: Engine, source_id: str, written: str) -> str:
    """The name of the entity an article's mention written ``written`` is on now."""
    with engine.connect() as connection:
        names = connection.execute(
            text(
                "SELECT DISTINCT e.name FROM mention m JOIN article a ON a.id = m.article_id "
                "JOIN entity e ON e.id = m.entity_id WHERE a.source_id = :s AND m.text = :t"
            ),
            {"s": source_id, "t": written},
        ).scalars()
        [name] = list(names)
        return str(name)


def entity_id(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT id FROM entity WHERE name = :n AND type = 'PERSON'"), {"n": name}
            ).scalar_one()
        )


# (article, as written, the entity it is on after all of ARTICLES is ingested one by one)
CASES = [
    ("bush", "Bush", "George W. Bush"),  # the only Bush, same source within days
    ("gwb-variant", "George W Bush", "George W. Bush"),  # a variant of the first name stored
    ("brown-budget", "Brown", "Gordon Brown"),  # several Browns: the same source and period
    ("brown-alone", "Brown", "Brown"),  # several Browns, no evidence for one: apart
    ("wes", "Wes Brown", "Wes Brown"),
    ("gordon", "Gordon Brown", "Gordon Brown"),
    ("spencer-titled", "Spencer", "Imelda Spencer"),  # "Mrs Spencer": a surname
    ("spencer-plain", "Spencer", "Spencer"),  # a given name alone: apart
]


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_db_engine(db_url)


def test_merges_and_non_merges_across_articles(engine: Engine, db_url: str, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "people.jsonl", records(*ARTICLES))
    report = ingest([feed], engine=engine, model=MODEL, batch_size=1)
    assert report.added == len(ARTICLES)
    assert [(a, w, entity_of(engine, a, w)) for a, w, _ in CASES] == CASES

    bush, gwb = entity_id(engine, "Bush"), entity_id(engine, "George W. Bush")
    variant = entity_id(engine, "George W Bush")
    with make_client(db_url) as client:
        answer = client.get(f"/api/v1/entities/{bush}")
        assert answer.status_code == 200
        assert (answer.json()["id"], answer.json()["redirected_from"]) == (gwb, bush)
        assert answer.headers["content-location"] == f"/api/v1/entities/{gwb}"
        assert {"Bush", "George W Bush"} <= set(answer.json()["aliases"])
        assert client.get(f"/api/v1/entities/{variant}").json()["id"] == gwb
        assert client.get(f"/api/v1/entities/{gwb}").json()["redirected_from"] is None
        people = client.get("/api/v1/entities", params={"type": "PERSON", "limit": 100}).json()
        names = {item["name"] for item in people["items"]}
        assert {"George W. Bush", "Gordon Brown", "Wes Brown", "Brown"} <= names
        assert not {"Bush", "George W Bush"} & names
        # what Bush said is George W. Bush's, under either id
        for ask in (gwb, bush):
            said = client.get(f"/api/v1/entities/{ask}/quotes").json()["items"]
            assert any("stay the course" in q["text"] for q in said)
            listed = client.get("/api/v1/quotes", params={"speaker_entity_id": ask}).json()
            assert any("stay the course" in q["text"] for q in listed["items"])
        by_name = client.get("/api/v1/quotes", params={"speaker": "george w. bush"}).json()
        assert any("stay the course" in q["text"] for q in by_name["items"])
        assert client.get(f"/api/v1/entities/{gwb}").json()["mention_count"] == 4


def test_deleting_the_evidence_undoes_a_merge(engine: Engine, db_url: str, tmp_path: Path) -> None:
    feed = write_jsonl(tmp_path / "people.jsonl", records("gwb", "gwb-variant", "bush"))
    ingest([feed], engine=engine, model=MODEL, batch_size=1)
    assert entity_of(engine, "bush", "Bush") == "George W. Bush"
    bush = entity_id(engine, "Bush")
    with engine.connect() as connection:
        ids: dict[str, int] = dict(
            connection.execute(text("SELECT source_id, id FROM article")).tuples().all()
        )
    assert delete_article(engine, ids["gwb"])
    # the variant is the full name now; Bush joins it
    assert entity_of(engine, "bush", "Bush") == "George W Bush"
    assert delete_article(engine, ids["gwb-variant"])
    assert entity_of(engine, "bush", "Bush") == "Bush"
    with make_client(db_url) as client:
        answer = client.get(f"/api/v1/entities/{bush}").json()
        assert (answer["id"], answer["name"], answer["redirected_from"]) == (bush, "Bush", None)
        assert answer["mention_count"] == 2


def test_a_surname_is_decided_again_when_evidence_comes(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """A bare surname stored with no evidence for the corpus's only full name stays apart; a
    later article naming the full name in the same source and week (the full name not new)
    makes it join; deleting that article takes it back out."""
    first = write_jsonl(tmp_path / "a.jsonl", records("quennell-far", "quennell-bare"))
    ingest([first], engine=engine, model=MODEL, batch_size=1)
    assert entity_of(engine, "quennell-bare", "Quennell") == "Quennell"
    later = write_jsonl(tmp_path / "b.jsonl", records("quennell-near"))
    ingest([later], engine=engine, model=MODEL, batch_size=1)
    assert entity_of(engine, "quennell-bare", "Quennell") == "Martha Quennell"
    bare = entity_id(engine, "Quennell")
    with make_client(db_url) as client:
        assert client.get(f"/api/v1/entities/{bare}").json()["name"] == "Martha Quennell"
    with engine.connect() as connection:
        near = connection.execute(
            text("SELECT id FROM article WHERE source_id = 'quennell-near'")
        ).scalar_one()
    assert delete_article(engine, near)
    assert entity_of(engine, "quennell-bare", "Quennell") == "Quennell"
    with make_client(db_url) as client:
        answer = client.get(f"/api/v1/entities/{bare}").json()
        assert (answer["name"], answer["redirected_from"]) == ("Quennell", None)


def test_concurrent_ingests_agree(engine: Engine, tmp_path: Path) -> None:
    """Two ingests at once, one with the full name and one with the bare surname: whichever
    writes first, the surname ends on the full name."""
    first = write_jsonl(tmp_path / "a.jsonl", records("gwb", "gordon"))
    second = write_jsonl(tmp_path / "b.jsonl", records("bush", "brown-budget"))
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        try:
            ingest([path], engine=create_db_engine(str(engine.url)), model=MODEL, batch_size=1)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert entity_of(engine, "bush", "Bush") == "George W. Bush"
    assert entity_of(engine, "brown-budget", "Brown") == "Gordon Brown"


# --- the rules, as a table --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("George W. Bush", "George W Bush", True),
        ("George W. Bush", "George Bush", False),  # George Bush may be either
        ("John Kennedy", "John F. Kennedy", False),
        ("Douglas Fairbanks Sr", "Douglas Fairbanks Jr", False),
        ("George Walker Bush", "George W. Bush", True),
        ("George H. W. Bush", "George W. Bush", False),
        ("Gordon Brown", "Wes Brown", False),
        ("Martin Luther King Jr", "Martin Luther King Jr.", True),
        ("Hank Williams", "Hank Williams Jr.", False),  # the father, without the suffix
        ("Bush", "George Bush", False),
    ],
)
def test_name_variants(a: str, b: str, same: bool) -> None:
    assert variants(a, b) is same


def test_shortened_names() -> None:
    """George Bush is no candidate of its own beside George W. Bush (a bare Bush's evidence
    split between the two merged nothing), nor Hank Williams beside Hank Williams Jr."""
    assert shortens("George Bush", "George W. Bush")
    assert not shortens("George W. Bush", "George Bush")
    assert not shortens("George Bush", "George W Bush Jr.")
    assert not shortens("Kate Bush", "George W. Bush")


# full names that may be a candidate, and those that are not shaped as a person's name
@pytest.mark.parametrize(
    ("name", "shaped"),
    [
        ("George W. Bush", True),
        ("Recep Tayyip Erdoğan", True),
        ("Donnacha O'Callaghan", True),
        ("Robert Kilroy-Silk", True),
        ("Leonardo DiCaprio", True),
        ("Osama bin Laden", True),
        ("Hank Williams Jr.", True),
        ("Team GB", False),  # an acronym, and a team
        ("Swansea v Leicester", False),  # a fixture
        ("Mike Nichols' Closer", False),  # a film
        ("Morning Joe.", False),  # a show, a full stop
        ("MSN Messenger", False),
        ("BBC Sport Wales", False),
        ("Jonathan Kaplan - England", False),
        ("ofNew Labour", False),
        ("Blu-ray disc", False),
        ("S Byrne", False),  # any Byrne of an S (C Smith and T Smith in one line-up)
        ("Prince Harry", False),  # a title first: Harry is his given name
        ("Queen Elizabeth II", False),
        ("Fellow Bath", False),
        ("Rapper Eminem", False),
    ],
)
def test_person_shaped(name: str, shaped: bool) -> None:
    assert person_shaped(name) is shaped


LINE_UP = "Leeds: Morton, Moffat, MacRae, Hore, Warnock, Douglas, Blair, Brown.\n"


# (text, the bare surname's first occurrence in it, whether it stays as written)
@pytest.mark.parametrize(
    ("body", "word", "stray"),
    [
        ("A revival of Tennessee Williams's play opened.", "Williams", True),
        ("The film stars Sacha Baron Cohen as a reporter.", "Cohen", True),
        ('The report, "Paying the Price", was published.', "Price", True),
        ("Brown & Williamson sold cigarettes.", "Brown", True),
        ("Brown Williamson sold cigarettes.", "Brown", True),
        ("Dawson and J. Smith scored.", "Smith", True),  # an initial: any Smith of a J
        ("Mr Bush said the talks went well.", "Bush", False),
        ("He said the Bush administration would act.", "Bush", False),
        ("He backed Steve Morgan. Parry joined the club in 1998.", "Parry", False),
        ("The club valued him at £35m.  Parry's reply came a day later.", "Parry", False),
        ("As far as we know, the Agnelli family has not agreed.", "Agnelli", True),
        ("But Brown said the budget was fair.", "Brown", False),
        ("England's Wilkinson kicked the winning goal.", "Wilkinson", False),
        ("Chancellor Brown told MPs.", "Brown", False),
        ("The talks went well, Bush said on Monday.", "Bush", False),
        ("Brown was seen in London.", "Brown", False),
    ],
)
def test_stray_context(body: str, word: str, stray: bool) -> None:
    start = body.index(word)
    assert stray_context(body, start, start + len(word)) is stray


# (text, the surname's last occurrence in it, whether it is in a list of names)
@pytest.mark.parametrize(
    ("body", "word", "listed"),
    [
        (LINE_UP, "Douglas", True),
        (
            "Cech, Gallas (Tiago 56), Terry.  Subs Not Used: Johnson, Smertin, Cudicini.",
            "Johnson",
            True,
        ),
        (
            "Among them were Altria Group, Reynolds, Liggett Group and Brown and Williamson.",
            "Brown",
            True,
        ),
        ("Subs Not Used: Eboue, Taylor.  Clichy, Lauren.", "Taylor", True),
        ("Brady, McCormick, S. Young, Bowe.", "Bowe", True),  # an initial's full stop
        (LINE_UP + "Douglas scored twice before Blair was sent off.", "Douglas", False),
        ("Blair and Brown met, Reid said, in private.", "Brown", False),
    ],
)
def test_in_list(body: str, word: str, listed: bool) -> None:
    start = body.rindex(word)
    assert in_list(body, start, start + len(word)) is listed


def test_written_as_word() -> None:
    body = "Jobs will be lost as the bank cuts 500 jobs."
    assert written_as_word(body, "Jobs")
    assert not written_as_word("Steve Jobs showed the iPod; job-hunting Jobsworths.", "Jobs")


def test_surname_keys() -> None:
    assert surname_key("George W. Bush", "PERSON") == surname_key("BUSH", "PERSON") == "bush"
    assert surname_key("Martin Luther King Jr.", "PERSON") == "king"
    assert surname_key("Bush", "ORG") is None
    assert is_bare("Bush") and not is_bare("bush") and not is_bare("George Bush")


def _e(story: bool = False, period: bool = False, shared: float = 0.0) -> Evidence:
    return Evidence(story=story, period=period, shared=shared, articles=1)


@pytest.mark.parametrize(
    ("evidence", "chosen"),
    [
        ({}, None),
        ({1: _e()}, None),  # the only candidate, nothing ties them
        ({1: _e(shared=2.5)}, None),  # one co-mentioned name is not enough
        ({1: _e(shared=6.1)}, None),  # "Mrs Wilkinson" of Billy Elliot: not Jonny
        ({1: _e(shared=8.0)}, 1),
        ({1: _e(period=True)}, 1),
        ({1: _e(), 2: _e(), 3: _e()}, None),  # Brown: Gordon, Wes, Dan
        ({1: _e(story=True), 2: _e(shared=9.0)}, 1),
        ({1: _e(period=True), 2: _e(period=True)}, None),
        ({1: _e(shared=9.0), 2: _e(shared=2.0)}, 1),
        ({1: _e(shared=9.0), 2: _e(shared=6.0)}, None),  # not clearly one
    ],
)
def test_choose(evidence: dict[int, Evidence], chosen: int | None) -> None:
    assert choose(evidence) == chosen


# a surname only in a line-up: (candidates' evidence, after an initial, the choice)
@pytest.mark.parametrize(
    ("evidence", "initialled", "chosen"),
    [
        ({1: _e(period=True)}, False, None),  # a period or story tie is not enough
        ({1: _e(shared=8.0)}, False, None),  # nor what makes a sole candidate elsewhere
        ({1: _e(shared=14.0)}, False, 1),  # team-mates named beside the only candidate
        ({1: _e(shared=75.0), 2: _e(shared=6.5)}, False, None),  # "Murphy": which one?
        ({1: _e(shared=40.0), 2: _e(shared=6.0)}, True, 1),  # "G Murphy": the initial's
        ({1: _e(shared=20.0), 2: _e(shared=12.0)}, True, None),  # not clearly one
    ],
)
def test_choose_in_a_line_up(
    evidence: dict[int, Evidence], initialled: bool, chosen: int | None
) -> None:
    assert choose(evidence, listed=True, initialled=initialled) == chosen


@pytest.mark.parametrize(
    ("body", "word", "initial"),
    [
        ("D Harrow; T Smith, G Pell (capt), R Vane", "Smith", "t"),
        ("Brady, McCormick, S. Young, Bowe.", "Young", "s"),
        ("Brady, McCormick, S. Young, Bowe.", "Bowe", None),
        ("The striker, Young, scored.", "Young", None),
        ("the USA Smith", "Smith", None),  # an acronym's last letter
        ("J-P Smith", "Smith", None),
    ],
)
def test_initial_before(body: str, word: str, initial: str | None) -> None:
    assert initial_before(body, body.index(word)) == initial


def test_initialled_names() -> None:
    assert is_initialled("G Bulloch") and is_initialled("J. Worsley")
    assert is_initialled("D O'Callaghan")
    assert not is_initialled("Gordon Bulloch") and not is_initialled("Bulloch")
    assert not is_initialled("G B") and not is_initialled("GB Bulloch")


def test_the_migration_links_the_people_already_stored(engine: Engine, tmp_path: Path) -> None:
    """A database whose people were never linked (downgraded past the people migration, which
    puts every mention back on its article's own entity) is linked by the upgrade."""
    feed = write_jsonl(tmp_path / "people.jsonl", records("gwb", "gwb-variant", "bush"))
    ingest([feed], engine=engine, model=MODEL, batch_size=1)
    config = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    engine.dispose()
    downgrade(config, "d7b2f5a8e3c1")
    assert entity_of(engine, "bush", "Bush") == "Bush"
    assert entity_of(engine, "gwb-variant", "George W Bush") == "George W Bush"
    engine.dispose()
    upgrade(config, "head")
    assert entity_of(engine, "bush", "Bush") == "George W. Bush"
    assert entity_of(engine, "gwb-variant", "George W Bush") == "George W. Bush"


@pytest.mark.parametrize(
    ("body", "word", "titled_before"),
    [
        ("Mr Spencer said so.", "Spencer", True),
        ("Mrs. Spencer said so.", "Spencer", True),
        ("Lady Hollis and Lord Spencer left.", "Spencer", True),
        ("It was Spencer who said so.", "Spencer", False),
        ("Hmr Spencer said so.", "Spencer", False),
        ("Councillor Spencer said so.", "Spencer", False),
    ],
)
def test_titled(body: str, word: str, titled_before: bool) -> None:
    assert titled(body, body.index(word)) is titled_before
