"""One HTTP-level admin suite, run on FastAPI, Flask and FastHTML over real servers.

Each adapter's test class says how to build an app with the admin mounted and how to
serve it; the tests then talk to a real server through httpx, as a browser would:
cookies, redirects, forms and CSRF tokens included.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Literal

import httpx
import pytest
from pydantic import Field

from nitro import Entity
from nitro.actions import action
from nitro.admin import Admin, AdminUser, PasswordAuth, hash_password
from nitro.auth import RowRule, current_user
from nitro.specification import FieldEquals

SECRET = "test-secret-key-0123456789-abcdefghij"
PASSWORD = "correct horse battery staple"


class Category(enum.Enum):
    TOOLS = "tools"
    TOYS = "toys"
    FOOD = "food"


class Product(Entity):
    name: str = Field(min_length=1, max_length=100)
    sku: str = ""
    price: float = Field(gt=0)
    stock: int = 0
    in_stock: bool = True
    category: Category = Category.TOOLS
    status: Literal["draft", "live"] = "draft"
    released: dt.date | None = None
    description: str = ""


class Shelf(Entity):
    """An entity with a guarded action: the admin's grants ("shelf.change") gate it."""

    label: str = ""
    restocked_by: str = ""

    @action(permission="shelf.change")
    def restock(self) -> None:
        self.restocked_by = str(current_user().id)


#: Who may see and close a ticket: its owner (and superusers), in the admin and actions.
OWN_TICKETS = RowRule(lambda user: FieldEquals("owner", user.id), name="own tickets")


class Ticket(Entity):
    owner: str
    title: str = ""
    closed: bool = False

    @action(allow=OWN_TICKETS)
    def close(self) -> None:
        self.closed = True


def mark_live(request: Any, entities: list[Product]) -> str:
    for product in entities:
        product.status = "live"
        product.save()
    return f"{len(entities)} marked live."


USERS = [
    AdminUser("ann", hash_password(PASSWORD), is_superuser=True),
    AdminUser("sam", hash_password(PASSWORD), permissions={"shelf.*"}),
    AdminUser("viv", hash_password(PASSWORD), permissions={"product.view"}),
    AdminUser("ed", hash_password(PASSWORD), permissions={"product.view", "product.change"}),
    AdminUser("tia", hash_password(PASSWORD), permissions={"ticket.*"}),
    AdminUser("tom", hash_password(PASSWORD), permissions={"ticket.*"}),
]


def build_admin() -> Admin:
    admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET)
    admin.register(
        Product,
        list_display=["name", "sku", "price", "stock", "in_stock", "category"],
        list_filter=["in_stock", "category", "price", "released"],
        search_fields=["name", "sku"],
        ordering=["name"],
        list_per_page=5,
        actions=[mark_live],
    )
    return admin


def seed() -> list[Product]:
    Product.repository().clear()
    products = [
        Product(
            name=f"Widget {i:02}",
            sku=f"W-{i:02}",
            price=float(i + 1),
            stock=i,
            in_stock=i % 2 == 0,
            category=list(Category)[i % 3],
        )
        for i in range(12)
    ]
    products.append(Product(name="Gadget <b>bold</b>", sku="G-1", price=99.5))
    for product in products:
        product.save()
    return products


def csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def names(page: str) -> list[str]:
    """The first-column links of the list page, in order."""
    return re.findall(r'<td><a href="/admin/product/[^"]+/edit">([^<]*)</a>', page)


class AdminSuite:
    """Subclass per adapter; implement ``build_app(admin)`` and ``serve(app)``."""

    @classmethod
    def build_app(cls, admin: Admin) -> Any:
        raise NotImplementedError

    @classmethod
    def serve(cls, app: Any) -> AbstractContextManager[str]:
        raise NotImplementedError

    @classmethod
    def build_app_with_actions(cls, admin: Admin, **options: Any) -> Any:
        """An app with *admin* mounted and ``configure_app(app, **options)``."""
        raise NotImplementedError

    # -- fixtures -------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def base_url(cls) -> Iterator[str]:
        with cls.serve(cls.build_app(build_admin())) as url:
            yield url

    @pytest.fixture
    def products(self) -> Iterator[list[Product]]:
        yield seed()
        Product.repository().clear()

    @pytest.fixture
    def anonymous(self, base_url: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            yield client

    @contextmanager
    def login(self, base_url: str, username: str = "ann") -> Iterator[httpx.Client]:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            token = csrf(client.get("/admin/login").text)
            response = client.post(
                "/admin/login",
                data={"username": username, "password": PASSWORD, "csrf_token": token},
            )
            assert response.status_code == 303, response.text
            yield client

    @pytest.fixture
    def client(self, base_url: str) -> Iterator[httpx.Client]:
        with self.login(base_url) as client:
            yield client

    # -- authentication ------------------------------------------------------------

    def test_history_page_shows_who_changed_what_through_the_admin(
        self, base_url: str, products: list[Product]
    ) -> None:
        from nitro import audit
        from nitro.audit import AuditEntry

        AuditEntry.repository().clear()
        audit.enable(Product)
        try:
            target = products[0]
            with self.login(base_url, "ed") as client:
                form = client.get(f"/admin/product/{target.id}/edit")
                assert f'href="/admin/product/{target.id}/history"' in form.text
                data = {
                    "csrf_token": csrf(form.text),
                    "name": "Widget <renamed>",
                    "sku": target.sku,
                    "price": "3.5",
                    "stock": str(target.stock),
                    "category": target.category.value,
                    "status": target.status,
                    "released": "",
                    "description": "",
                }
                if target.in_stock:
                    data["in_stock"] = "on"
                saved = client.post(f"/admin/product/{target.id}/edit", data=data)
                assert saved.status_code == 303, saved.text
                page = client.get(f"/admin/product/{target.id}/history")
            assert page.status_code == 200
            (entry,) = audit.history(target)
            assert (entry.actor_id, entry.via, entry.action) == ("ed", "admin", "update")
            assert entry.changes["name"] == [target.name, "Widget <renamed>"]
            assert "Widget &lt;renamed&gt;" in page.text  # escaped
            assert "<renamed>" not in page.text
            assert ">ed<" in page.text
        finally:
            audit.disable()
            AuditEntry.repository().clear()

    def test_one_row_rule_gates_the_admins_lists_and_the_apps_actions(self) -> None:
        admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET, session_cookie_path="/")
        admin.register(Ticket, list_display=["title", "owner"], row_rule=OWN_TICKETS)
        app = self.build_app_with_actions(admin, entities=[Ticket], auth=admin.authenticator())
        Ticket.repository().clear()
        for number, owner in enumerate(("tia", "tom", "tia")):
            Ticket(id=f"t{number}", owner=owner, title=f"ticket {number} of {owner}").save()
        with self.serve(app) as url:
            with self.login(url, "tia") as client:
                page = client.get("/admin/ticket").text
                assert "ticket 0 of tia" in page
                assert "ticket 2 of tia" in page
                assert "of tom" not in page
                assert client.get("/admin/ticket/t1/edit").status_code == 404
                assert client.get("/admin/ticket/t0/edit").status_code == 200
                assert client.post("/ticket/t1/close").status_code == 403
                assert client.post("/ticket/t0/close").status_code == 200
            with self.login(url, "ann") as client:  # a superuser sees every row
                page = client.get("/admin/ticket").text
                assert "of tom" in page
                assert "of tia" in page
        assert [t.closed for t in Ticket.all()] == [True, False, False]
        Ticket.repository().clear()

    def test_one_login_for_the_admin_and_the_apps_actions(self) -> None:
        """With the session cookie at "/", actions know the admin's user, and the
        admin's grants ("shelf.*") are the ones ``@action(permission=...)`` checks."""
        admin = Admin(auth=PasswordAuth(USERS), secret_key=SECRET, session_cookie_path="/")
        admin.register(Shelf)
        app = self.build_app_with_actions(admin, entities=[Shelf], auth=admin.authenticator())
        Shelf.repository().clear()
        Shelf(id="s1").save()
        with self.serve(app) as url:
            with httpx.Client(base_url=url, timeout=10) as anonymous:
                assert anonymous.post("/shelf/s1/restock").status_code == 401
            for username, status in (("viv", 403), ("sam", 200), ("ann", 200)):
                with self.login(url, username) as client:
                    answer = client.post("/shelf/s1/restock")
                    assert answer.status_code == status, (username, answer.text)
                    if status == 200:
                        assert Shelf.get("s1").restocked_by == username
                    # the same grant opens the admin's change form
                    form = client.get("/admin/shelf/s1/edit")
                    assert form.status_code == (403 if username == "viv" else 200)
            with self.login(url, "sam") as client:
                client.post("/admin/logout", data={"csrf_token": csrf(client.get("/admin/").text)})
                assert client.post("/shelf/s1/restock").status_code == 401  # logged out
        Shelf.repository().clear()

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/admin/"),
            ("GET", "/admin"),
            ("GET", "/admin/product"),
            ("GET", "/admin/product?q=x&o=-price"),
            ("GET", "/admin/product/_results"),
            ("GET", "/admin/product/_lookup?field=x"),
            ("GET", "/admin/product/new"),
            ("POST", "/admin/product/new"),
            ("GET", "/admin/product/p1/edit"),
            ("POST", "/admin/product/p1/edit"),
            ("GET", "/admin/product/p1/delete"),
            ("POST", "/admin/product/p1/delete"),
            ("POST", "/admin/product/_action"),
            ("POST", "/admin/logout"),
        ],
    )
    def test_every_admin_url_redirects_to_login_without_credentials(
        self, anonymous: httpx.Client, products: list[Product], method: str, path: str
    ) -> None:
        response = anonymous.request(method, path, data={"name": "x"} if method == "POST" else None)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login")
        assert len(Product.all()) == len(products)

    def test_live_search_without_session_navigates_to_login(self, anonymous: httpx.Client) -> None:
        response = anonymous.get(
            "/admin/product/_results",
            params={"datastar": '{"q": "x"}'},
            headers={"Datastar-Request": "true"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "window.location.assign('/admin/login')" in response.text

    def test_login_redirects_back_to_the_page_asked_for(self, base_url: str) -> None:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            first = client.get("/admin/product?o=-price")
            assert first.headers["location"] == "/admin/login?next=%2Fadmin%2Fproduct%3Fo%3D-price"
            page = client.get(first.headers["location"])
            response = client.post(
                "/admin/login",
                data={
                    "username": "ann",
                    "password": PASSWORD,
                    "csrf_token": csrf(page.text),
                    "next": "/admin/product?o=-price",
                },
            )
            assert response.status_code == 303
            assert response.headers["location"] == "/admin/product?o=-price"

    def test_login_ignores_a_next_url_outside_the_admin(self, anonymous: httpx.Client) -> None:
        token = csrf(anonymous.get("/admin/login").text)
        response = anonymous.post(
            "/admin/login",
            data={
                "username": "ann",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "https://evil.example/",
            },
        )
        assert response.headers["location"] == "/admin/"

    def test_session_cookie_is_signed_httponly_samesite(self, anonymous: httpx.Client) -> None:
        token = csrf(anonymous.get("/admin/login").text)
        response = anonymous.post(
            "/admin/login", data={"username": "ann", "password": PASSWORD, "csrf_token": token}
        )
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("nitro_admin_session=")
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Path=/admin" in cookie
        assert "ann" not in cookie.split(";")[0]  # base64 JSON, but signed: check tamper below

    def test_tampered_session_cookie_is_refused(self, client: httpx.Client) -> None:
        value = client.cookies["nitro_admin_session"]
        client.cookies.clear()
        client.cookies.set(
            "nitro_admin_session", value[:-2] + ("AA" if value[-2:] != "AA" else "BB")
        )
        response = client.get("/admin/product")
        assert response.status_code == 303

    def test_wrong_password_is_refused(self, anonymous: httpx.Client) -> None:
        token = csrf(anonymous.get("/admin/login").text)
        response = anonymous.post(
            "/admin/login", data={"username": "ann", "password": "nope", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
        assert anonymous.get("/admin/product").status_code == 303

    def test_login_without_csrf_token_is_refused(self, anonymous: httpx.Client) -> None:
        anonymous.get("/admin/login")
        response = anonymous.post("/admin/login", data={"username": "ann", "password": PASSWORD})
        assert response.status_code == 403
        assert anonymous.get("/admin/product").status_code == 303

    def test_logout_ends_the_session(self, client: httpx.Client) -> None:
        token = csrf(client.get("/admin/").text)
        response = client.post("/admin/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert client.get("/admin/product").status_code == 303

    # -- CSRF ----------------------------------------------------------------------

    def test_form_post_without_valid_csrf_token_is_rejected(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        target = products[0]
        for token in (None, "0" * 64):
            data = {
                "name": "Hacked",
                "price": "1",
                "stock": "0",
                "category": "tools",
                "status": "draft",
            }
            if token:
                data["csrf_token"] = token
            response = client.post(f"/admin/product/{target.id}/edit", data=data)
            assert response.status_code == 403
            assert "CSRF" in response.text
            response = client.post(f"/admin/product/{target.id}/delete", data=data)
            assert response.status_code == 403
        assert Product.get(target.id) == target

    def test_cross_origin_post_is_rejected_even_with_a_token(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        token = csrf(client.get("/admin/product").text)
        response = client.post(
            f"/admin/product/{products[0].id}/delete",
            data={"csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403
        assert Product.get(products[0].id) is not None

    # -- index and list ------------------------------------------------------------

    def test_index_lists_registered_entities(self, client: httpx.Client) -> None:
        response = client.get("/admin/")
        assert response.status_code == 200
        assert 'href="/admin/product"' in response.text
        assert client.get("/admin").status_code == 200

    def test_list_shows_columns_and_escapes_values(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        page = client.get("/admin/product").text
        for header in ("Name", "Sku", "Price", "Stock", "In stock", "Category"):
            assert f">{header}" in page
        assert names(page) == [
            "Gadget &lt;b&gt;bold&lt;/b&gt;",
            "Widget 00",
            "Widget 01",
            "Widget 02",
            "Widget 03",
        ]
        assert "<b>bold</b>" not in page

    def test_sort_by_header(self, client: httpx.Client, products: list[Product]) -> None:
        page = client.get("/admin/product").text
        assert 'href="/admin/product?o=price"' in page
        page = client.get("/admin/product?o=-price").text
        assert names(page)[:3] == ["Gadget &lt;b&gt;bold&lt;/b&gt;", "Widget 11", "Widget 10"]
        assert 'href="/admin/product?o=price"' in page  # the header toggles
        page = client.get("/admin/product?o=price").text
        assert names(page)[:2] == ["Widget 00", "Widget 01"]

    def test_unknown_sort_key_falls_back_to_the_default(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        page = client.get("/admin/product?o=description").text
        assert names(page)[0] == "Gadget &lt;b&gt;bold&lt;/b&gt;"

    def test_pagination_without_count(self, client: httpx.Client, products: list[Product]) -> None:
        first = client.get("/admin/product?o=price").text
        assert "Rows 1 to 5" in first
        assert 'id="next-page"' in first
        assert 'id="prev-page"' not in first
        third = client.get("/admin/product?o=price&p=3").text
        assert names(third) == ["Widget 10", "Widget 11", "Gadget &lt;b&gt;bold&lt;/b&gt;"]
        assert "Rows 11 to 13" in third
        assert 'id="next-page"' not in third
        assert 'id="prev-page"' in third
        assert client.get("/admin/product?p=99").status_code == 200
        assert client.get("/admin/product?p=abc").status_code == 400  # names the parameter

    @pytest.mark.parametrize("order", ["", "price", "-price", "name", "-name", "-stock", "sku"])
    def test_next_links_seek_and_match_offset_pages(
        self, client: httpx.Client, products: list[Product], order: str
    ) -> None:
        # Ties on stock (Gadget and Widget 00 both have 0) exercise the id tie-breaker.
        seen, url = [], f"/admin/product?o={order}&in_stock=true" if order else "/admin/product"
        pages = 0
        while url:
            page = client.get(url.replace("&amp;", "&")).text
            seen.extend(names(page))
            pages += 1
            if pages > 1 and order:
                assert "after_id=" in url
            match = re.search(r'href="([^"]+)"[^>]*id="next-page"', page)
            url = match.group(1) if match else ""
        by_offset = []
        for number in range(1, pages + 1):
            query = f"o={order}&in_stock=true&p={number}" if order else f"p={number}"
            by_offset.extend(names(client.get(f"/admin/product?{query}").text))
        assert seen == by_offset
        assert len(seen) == len(set(seen)) == (7 if order else 13)

    @pytest.mark.parametrize("order", ["", "price", "-price", "name", "-name", "-stock", "sku"])
    def test_previous_links_seek_back_and_match_offset_pages(
        self, client: httpx.Client, products: list[Product], order: str
    ) -> None:
        base = f"/admin/product?o={order}&in_stock=true" if order else "/admin/product"
        pages, url = [], base
        while url:  # forward to the last page
            page = client.get(url.replace("&amp;", "&")).text
            pages.append(names(page))
            match = re.search(r'href="([^"]+)"[^>]*id="next-page"', page)
            url = match.group(1) if match else ""
        back, url = [], re.search(r'href="([^"]+)"[^>]*id="prev-page"', page)
        link = url.group(1) if url else ""
        while link:  # and back again, by "Previous" links alone
            if order:
                assert "before_id=" in link
            page = client.get(link.replace("&amp;", "&")).text
            back.append(names(page))
            match = re.search(r'href="([^"]+)"[^>]*id="prev-page"', page)
            link = match.group(1) if match else ""
        assert back == list(reversed(pages[:-1]))
        assert len(pages) >= 2

    def test_a_forged_previous_cursor_falls_back_to_the_page_number(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        response = client.get("/admin/product?o=price&p=2&before=abc&before_id=x")
        assert response.status_code == 200
        assert names(response.text) == names(client.get("/admin/product?o=price&p=2").text)

    def test_a_forged_cursor_is_ignored(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        response = client.get("/admin/product?o=price&p=2&after=abc&after_id=x")
        assert response.status_code == 200
        assert names(response.text) == [
            "Widget 05",
            "Widget 06",
            "Widget 07",
            "Widget 08",
            "Widget 09",
        ]

    def test_search_matches_every_word_in_any_field(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        assert names(client.get("/admin/product", params={"q": "widget 03"}).text) == ["Widget 03"]
        assert names(client.get("/admin/product", params={"q": "g-1"}).text) == [
            "Gadget &lt;b&gt;bold&lt;/b&gt;"
        ]
        assert "No results match." in client.get("/admin/product", params={"q": "zzz"}).text

    def test_filters_choices_and_ranges(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        page = client.get("/admin/product?in_stock=false&o=price").text
        assert names(page) == ["Widget 01", "Widget 03", "Widget 05", "Widget 07", "Widget 09"]
        page = client.get("/admin/product?category=toys&price__gte=3&price__lte=9").text
        assert names(page) == ["Widget 04", "Widget 07"]
        page = client.get("/admin/product?price__gte=abc").text
        assert "is not a valid value" in page
        page = client.get("/admin/product?category=nope").text
        assert "is not one of the choices" in page

    def test_live_search_answers_datastar_with_the_results(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        response = client.get(
            "/admin/product/_results",
            params={"o": "-price", "datastar": '{"q": "widget 1", "searching": true}'},
            headers={"Datastar-Request": "true"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.text.startswith("event: datastar-patch-elements\n")
        assert names(response.text.replace("data: elements ", "")) == [
            "Widget 11",
            "Widget 10",
            "Widget 01",
        ]

    def test_results_without_datastar_redirect_to_the_list(self, client: httpx.Client) -> None:
        response = client.get("/admin/product/_results?o=price")
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/product?o=price"

    # -- forms ------------------------------------------------------------------------

    def test_create_with_validation_error_then_fixed(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        form = client.get("/admin/product/new")
        assert form.status_code == 200
        for widget in ('type="number" value="0" step="1" name="stock"',):
            assert widget.split(" name")[0] in form.text
        data = {
            "csrf_token": csrf(form.text),
            "name": "New thing",
            "sku": "N-1",
            "price": "-5",
            "stock": "3",
            "in_stock": "on",
            "category": "food",
            "status": "live",
            "released": "2024-05-06",
            "description": "Long\ntext",
        }
        response = client.post("/admin/product/new", data=data)
        assert response.status_code == 422
        assert "nothing was saved" in response.text
        assert re.search(
            r'id="field-price-errors"><li>Input should be greater than 0', response.text
        )
        assert 'value="New thing"' in response.text  # the input is kept
        assert len(Product.all()) == len(products)
        response = client.post("/admin/product/new", data={**data, "price": "12.5"})
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/product"
        (created,) = Product.filter(name="New thing")
        assert created.price == 12.5
        assert created.category is Category.FOOD
        assert created.released == dt.date(2024, 5, 6)
        assert created.description == "Long\ntext"
        assert "was added" in client.get("/admin/product").text  # flash message

    def test_edit_changes_only_the_posted_fields(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        target = products[3]
        form = client.get(f"/admin/product/{target.id}/edit")
        assert form.status_code == 200
        assert 'value="Widget 03"' in form.text
        data = {
            "csrf_token": csrf(form.text),
            "name": "Renamed",
            "sku": "R-1",
            "price": "7",
            "stock": "1",
            "category": "toys",
            "status": "live",
            "released": "",
            "description": "",
        }
        response = client.post(f"/admin/product/{target.id}/edit", data={**data, "_continue": "1"})
        assert response.status_code == 303
        assert response.headers["location"] == f"/admin/product/{target.id}/edit"
        saved = Product.get(target.id)
        assert saved is not None
        assert (saved.name, saved.price, saved.in_stock, saved.status) == (
            "Renamed",
            7,
            False,
            "live",
        )

    def test_edit_of_unknown_id_is_404(self, client: httpx.Client) -> None:
        assert client.get("/admin/product/nope/edit").status_code == 404

    def test_delete_asks_for_confirmation(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        target = products[0]
        page = client.get(f"/admin/product/{target.id}/delete")
        assert page.status_code == 200
        assert "Are you sure" in page.text
        assert Product.get(target.id) is not None
        response = client.post(
            f"/admin/product/{target.id}/delete", data={"csrf_token": csrf(page.text)}
        )
        assert response.status_code == 303
        assert Product.get(target.id) is None

    # -- bulk actions ------------------------------------------------------------------

    def test_bulk_delete_selected_after_confirmation(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        token = csrf(client.get("/admin/product").text)
        ids = [products[0].id, products[1].id]
        data = {"csrf_token": token, "action": "delete_selected", "ids": ids, "query": "o=price"}
        page = client.post("/admin/product/_action", data=data)
        assert page.status_code == 200
        assert "2 products" in page.text
        assert all(Product.get(i) for i in ids)
        response = client.post("/admin/product/_action", data={**data, "confirm": "yes"})
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/product?o=price"
        assert not any(Product.get(i) for i in ids)
        assert len(Product.all()) == len(products) - 2

    def test_bulk_action_on_all_rows_matching_the_filter(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        token = csrf(client.get("/admin/product").text)
        data = {
            "csrf_token": token,
            "action": "mark_live",
            "select_across": "1",
            "query": "in_stock=true&q=widget",
        }
        page = client.post("/admin/product/_action", data=data)
        assert "6 products" in page.text
        response = client.post("/admin/product/_action", data={**data, "confirm": "yes"})
        assert response.status_code == 303
        live = sorted(p.name for p in Product.filter(status="live"))
        assert live == [f"Widget {i:02}" for i in range(0, 12, 2)]
        assert "6 marked live." in client.get(response.headers["location"]).text

    def test_bulk_without_action_or_rows_says_so(
        self, client: httpx.Client, products: list[Product]
    ) -> None:
        token = csrf(client.get("/admin/product").text)
        response = client.post(
            "/admin/product/_action", data={"csrf_token": token, "action": "delete_selected"}
        )
        assert response.status_code == 303
        assert "No rows selected" in client.get(response.headers["location"]).text
        assert len(Product.all()) == len(products)

    # -- permissions ---------------------------------------------------------------------

    def test_user_without_delete_permission_cannot_delete(
        self, base_url: str, products: list[Product]
    ) -> None:
        with self.login(base_url, "ed") as client:
            target = products[0]
            page = client.get(f"/admin/product/{target.id}/edit").text
            assert 'id="delete-link"' not in page
            listing = client.get("/admin/product").text
            assert "delete_selected" not in listing
            assert 'value="mark_live"' in listing  # needs change, which ed has
            assert client.get(f"/admin/product/{target.id}/delete").status_code == 403
            token = csrf(page)
            response = client.post(f"/admin/product/{target.id}/delete", data={"csrf_token": token})
            assert response.status_code == 403
            response = client.post(
                "/admin/product/_action",
                data={
                    "csrf_token": token,
                    "action": "delete_selected",
                    "ids": [target.id],
                    "confirm": "yes",
                },
            )
            assert Product.get(target.id) is not None
            assert client.get("/admin/product/new").status_code == 403

    def test_view_only_user_sees_a_read_only_form(
        self, base_url: str, products: list[Product]
    ) -> None:
        with self.login(base_url, "viv") as client:
            target = products[0]
            page = client.get(f"/admin/product/{target.id}/edit")
            assert page.status_code == 200
            assert 'id="save"' not in page.text
            assert 'value="mark_live"' not in client.get("/admin/product").text
            assert 'name="name"' not in page.text
            response = client.post(
                f"/admin/product/{target.id}/edit",
                data={"csrf_token": csrf(page.text), "name": "x", "price": "1"},
            )
            assert response.status_code == 403
            assert Product.get(target.id) == target
