"""A page number typed into the URL on SQL is a deferred join; the capped count.

``?p=N`` asks the repository for an ``OFFSET`` window, which nitro-sql runs as a
deferred join (the window's ids through the index, then those rows). The pages must be
exactly the naive ``OFFSET`` pages and the in-memory order, for every ordering (ties
on the sort column included), with search and filters; on SQLite and PostgreSQL.
``count_cap`` shows "N+" instead of counting every match.
"""

from __future__ import annotations

import enum
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nitro_servers import serve_asgi

from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password
from nitro.admin.changelist import sort_keys
from nitro.admin.specs import FieldContains
from nitro.persistence import Query
from nitro.specification import FieldEquals, Specification

sql = pytest.importorskip("nitro.sql")
sa = pytest.importorskip("sqlalchemy")

PASSWORD = "pw-for-tests"
PER_PAGE = 4


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class PagedItem(sql.SQLEntity, table=True):
    name: str
    price: int  # few values: many ties, broken by id
    in_stock: bool = True
    colour: Colour = Colour.RED


def make_rows() -> list[PagedItem]:
    rng = random.Random(7)
    words = ["oak", "ash", "elm", "fir"]
    return [
        PagedItem(
            id=f"{rng.randrange(16**6):06x}-{index}",  # ids unrelated to the other columns
            name=f"{rng.choice(words)} {rng.choice(words)} {index}",
            price=rng.choice([5, 10, 10, 20, 20, 20]),
            in_stock=rng.random() < 0.6,
            colour=rng.choice(list(Colour)),
        )
        for index in range(37)
    ]


ORDERINGS = [("price",), ("-price",), ("name",), ("-in_stock",), ("in_stock",), ("-id",)]
WHERES: dict[str, Specification[Any] | None] = {
    "all": None,
    "search": FieldContains("name", "OAK"),
    "filter": FieldEquals("in_stock", True),
    "search+filter": FieldEquals("in_stock", True) & FieldContains("name", "ash"),
}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file, or the session's PostgreSQL (the fixture fails under CI when
    PostgreSQL is missing, and skips elsewhere)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'paging.db'}"
    else:
        url = request.getfixturevalue("postgres_server").url
    database = sql.config.database_for(url)
    PagedItem.__table__.drop(database.engine, checkfirst=True)  # type: ignore[attr-defined]
    database.forget_tables()
    with sql.use_database(url):
        yield url
    PagedItem.__table__.drop(database.engine, checkfirst=True)  # type: ignore[attr-defined]
    database.forget_tables()
    database.dispose()


@pytest.fixture
def rows(db_url: str) -> list[PagedItem]:
    made = make_rows()
    for row in made:
        row.save()
    return made


@pytest.fixture
def statements(db_url: str) -> Iterator[list[str]]:
    """Every SQL statement run on the test's database."""
    seen: list[str] = []
    engine = sql.config.database_for(db_url).engine

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", record)


def naive_offset(
    where: Specification[Any] | None, order: tuple[str, ...], offset: int
) -> list[str]:
    """The same window as one plain ``SELECT ... LIMIT ... OFFSET`` (no deferred join)."""
    repo = PagedItem.repository()
    conditions, rest = repo.conditions(where)
    assert rest is None
    clauses = [repo.mapping.order(n, d) for n, d in Query(order_by=order).sort_keys()]
    statement = repo.live_select().where(*conditions).order_by(*clauses)
    return [e.id for e in repo.fetch(statement.limit(PER_PAGE + 1).offset(offset))]


@pytest.mark.parametrize("ordering", ORDERINGS, ids=lambda o: o[0])
@pytest.mark.parametrize("where", WHERES, ids=str)
def test_deferred_join_pages_are_the_offset_pages(
    rows: list[PagedItem], statements: list[str], ordering: tuple[str, ...], where: str
) -> None:
    spec = WHERES[where]
    order = sort_keys(ordering)  # the admin's order: id follows the last key's direction
    repo = PagedItem.repository()
    expected = [e.id for e in Query(where=spec, order_by=order).apply(rows)]  # in memory
    assert expected, "every case must match some rows"
    statements.clear()
    for offset in range(0, len(expected) + PER_PAGE, PER_PAGE):
        query = Query(where=spec, order_by=order, offset=offset, limit=PER_PAGE + 1)
        page = [e.id for e in repo.find(query)]
        assert page == expected[offset : offset + PER_PAGE + 1], (offset, page)
        assert page == naive_offset(spec, order, offset)
    deferred = [s for s in statements if re.search(r"JOIN \(SELECT \S+\.id", s)]
    assert len(deferred) == len(range(PER_PAGE, len(expected) + PER_PAGE, PER_PAGE))
    assert all("OFFSET" in s for s in deferred)


def test_the_tie_breaker_follows_the_direction_of_the_sort() -> None:
    assert sort_keys(("-price",)) == ("-price", "-id")
    assert sort_keys(("price",)) == ("price", "id")
    assert sort_keys(("name", "-price")) == ("name", "-price", "-id")
    assert sort_keys(("-id",)) == ("-id",)
    assert sort_keys(()) == ("-id",)


def test_count_at_most_stops_at_the_limit(rows: list[PagedItem], statements: list[str]) -> None:
    repo = PagedItem.repository()
    in_stock = sum(r.in_stock for r in rows)
    assert repo.count_at_most(None, 10) == 10
    assert repo.count_at_most(None, 1000) == len(rows)
    assert repo.count_at_most(FieldEquals("in_stock", True), in_stock) == in_stock
    assert repo.count_at_most(FieldEquals("in_stock", True), in_stock + 1) == in_stock
    assert repo.count_at_most(None, 0) == 0
    assert any(re.search(r"count\(\*\).*LIMIT", s, re.S) for s in statements)
    with pytest.raises(Exception, match="limit must be an int"):
        repo.count_at_most(None, -1)


# -- through the admin ------------------------------------------------------------------


def names(page: str) -> list[str]:
    return re.findall(r'<td><a href="/admin/pageditem/[^"]+/edit">([^<]*)</a>', page)


@pytest.fixture
def client(rows: list[PagedItem]) -> Iterator[httpx.Client]:
    from fastapi import FastAPI

    from nitro.adapters.fastapi import mount

    admin = Admin(
        auth=PasswordAuth([AdminUser("ann", hash_password(PASSWORD), is_superuser=True)]),
        secret_key="s" * 40,
    )
    admin.register(
        PagedItem,
        list_display=["name", "price", "in_stock", "colour"],
        list_filter=["in_stock", "colour", "price"],
        search_fields=["name"],
        list_per_page=PER_PAGE,
        count_cap=10,
    )
    app = FastAPI()
    mount(app, admin)
    with serve_asgi(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        page = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        client.post(
            "/admin/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}
        )
        yield client


@pytest.mark.parametrize("query", ["o=price", "o=-price&q=oak", "o=-in_stock&in_stock=true&q=ash"])
def test_typed_page_numbers_match_next_links_and_memory(
    client: httpx.Client, rows: list[PagedItem], query: str
) -> None:
    by_next, url = [], f"/admin/pageditem?{query}"
    while url:  # "Next" seeks with a keyset cursor
        page = client.get(url.replace("&amp;", "&")).text
        by_next.extend(names(page))
        match = re.search(r'href="([^"]+)"[^>]*id="next-page"', page)
        url = match.group(1) if match else ""
    by_number: list[str] = []
    for number in range(1, len(by_next) // PER_PAGE + 2):  # deferred joins on SQL
        by_number.extend(names(client.get(f"/admin/pageditem?{query}&p={number}").text))
    assert by_number == by_next
    assert len(by_next) == len(set(by_next)) > PER_PAGE


def test_the_count_is_capped(client: httpx.Client, rows: list[PagedItem]) -> None:
    assert "Rows 1 to 4 of 10+" in client.get("/admin/pageditem").text
    page = client.get("/admin/pageditem?p=9").text  # the pages go on past the cap
    assert "Rows 33 to 36 of 10+" in page
    assert 'id="next-page"' in page
    last = client.get("/admin/pageditem?p=10").text
    assert "Rows 37 to 37 of 10+" in last
    assert 'id="next-page"' not in last
    few = sum(1 for r in rows if r.colour is Colour.BLUE and not r.in_stock)
    assert few < 10
    page = client.get("/admin/pageditem?colour=blue&in_stock=false").text
    assert f"of {few}</span>" in page  # below the cap: exact


def test_a_count_equal_to_the_cap_has_no_plus(db_url: str) -> None:
    from nitro.admin.changelist import ListPage

    assert ListPage([], False, 10, more=False).total_text == "10"
    assert ListPage([], False, 10_000, more=True).total_text == "10,000+"
    for index in range(10):
        PagedItem(name=f"n{index}", price=1).save()
    assert PagedItem.repository().count_at_most(None, 11) == 10  # cap + 1 asked: not more
