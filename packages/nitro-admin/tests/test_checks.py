"""checks.py: every option is checked at mount, every problem reported with its ID."""

from __future__ import annotations

import enum

import pytest

from nitro import Entity
from nitro.admin import Admin, AdminConfigurationError, EntityAdmin

KEY = "k" * 32


class Role(enum.Enum):
    ADMIN = "admin"
    USER = "user"


class User(Entity):
    email: str
    name: str = ""
    age: int = 0
    active: bool = True
    role: Role = Role.USER
    tags: list[str] = []


def ids(admin: Admin) -> list[str]:
    return [message.id for message in admin.check()]


def site(**options: object) -> Admin:
    admin = Admin(insecure_dev=True, secret_key=KEY)
    admin.register(User, **options)
    return admin


def test_a_correct_admin_has_no_problems() -> None:
    admin = site(
        list_display=["email", "age", lambda user: user.name.upper()],
        list_filter=["active", "role", "age"],
        search_fields=["email", "name"],
        ordering=["-age", "email"],
        readonly_fields=["name"],
        formatters={"age": str},
        widgets={"name": "textarea"},
    )
    assert admin.check() == []


def test_the_issue_example_wording() -> None:
    (message,) = site(search_fields=["email", "emial"]).check()
    assert str(message).startswith(
        "admin.E003: The value of 'search_fields[1]' refers to 'emial', which is not a field "
        "of 'User'."
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"list_display": "email"}, ["admin.E001"]),
        ({"list_display": ["email", "nope"]}, ["admin.E002"]),
        ({"search_fields": ["nope"]}, ["admin.E003"]),
        ({"search_fields": ["age"]}, ["admin.E004"]),
        ({"search_fields": "email"}, ["admin.E005"]),
        ({"list_filter": "active"}, ["admin.E006"]),
        ({"list_filter": ["nope"]}, ["admin.E007"]),
        ({"list_filter": ["email", "tags"]}, ["admin.E008", "admin.E008"]),
        ({"ordering": "email"}, ["admin.E010"]),
        ({"ordering": ["-nope"]}, ["admin.E011"]),
        ({"list_per_page": 0}, ["admin.E012"]),
        ({"list_per_page": "50"}, ["admin.E012"]),
        ({"readonly_fields": "name"}, ["admin.E013"]),
        ({"readonly_fields": ["nope"]}, ["admin.E014"]),
        ({"fields": "email"}, ["admin.E015"]),
        ({"fields": ["email", "nope"]}, ["admin.E016"]),
        ({"exclude": "age"}, ["admin.E017"]),
        ({"exclude": ["nope"]}, ["admin.E018"]),
        ({"actions": len}, ["admin.E019"]),
        ({"actions": ["not callable"]}, ["admin.E020"]),
        ({"formatters": [str]}, ["admin.E021"]),
        ({"formatters": {"nope": str}}, ["admin.E022"]),
        ({"formatters": {"age": "str"}}, ["admin.E023"]),
        ({"widgets": ["textarea"]}, ["admin.E024"]),
        ({"widgets": {"nope": "textarea"}}, ["admin.E025"]),
        ({"widgets": {"name": "wysiwyg"}}, ["admin.E026"]),
        ({"slug": "Bad Slug"}, ["admin.E027"]),
        ({"exclude": ["email"]}, ["admin.E029"]),
        ({"fields": ["name"]}, ["admin.E029"]),
        ({"readonly_fields": ["email"]}, ["admin.E029"]),
        ({"can_delete": "no"}, ["admin.E030"]),
        ({"row_rule": lambda user: None}, ["admin.E043"]),
        ({"count_cap": 0}, ["admin.E044"]),
        ({"count_cap": "10000"}, ["admin.E044"]),
    ],
)
def test_each_problem_has_its_id(options: dict[str, object], expected: list[str]) -> None:
    assert ids(site(**options)) == expected


def test_required_field_off_the_form_is_fine_without_create() -> None:
    assert ids(site(exclude=["email"], can_create=False)) == []


def test_reserved_query_key_as_filter() -> None:
    class Search(Entity):
        q: bool = False

    admin = Admin(insecure_dev=True, secret_key=KEY)
    admin.register(Search, list_filter=["q"])
    assert ids(admin) == ["admin.E009"]


def test_every_problem_is_reported_at_once_when_mounting() -> None:
    admin = Admin(secret_key="short")
    admin.register(User, list_display=["nope"], search_fields=["emial"], list_per_page=-1)
    with pytest.raises(AdminConfigurationError) as caught:
        admin.web_routes()
    found = [message.id for message in caught.value.messages]
    assert found == ["admin.E101", "admin.E103", "admin.E002", "admin.E003", "admin.E012"]
    assert "5 configuration problems" in str(caught.value)
    assert "admin.E003: The value of 'search_fields[0]' refers to 'emial'" in str(caught.value)


def test_refuses_to_mount_without_auth_unless_insecure_dev(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NITRO_ADMIN_SECRET_KEY", raising=False)
    assert ids(Admin(secret_key=KEY)) == ["admin.E101"]
    assert ids(Admin(insecure_dev=True)) == []  # a per-process random key


def test_secret_key_comes_from_the_environment_when_used(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = Admin(auth=object())  # type: ignore[arg-type]
    monkeypatch.delenv("NITRO_ADMIN_SECRET_KEY", raising=False)
    assert ids(admin) == ["admin.E104", "admin.E102"]
    monkeypatch.setenv("NITRO_ADMIN_SECRET_KEY", "e" * 40)
    assert ids(admin) == ["admin.E104"]


def test_two_entities_with_one_slug() -> None:
    class Other(Entity):
        name: str = ""

    admin = Admin(insecure_dev=True, secret_key=KEY)
    admin.register(User)
    admin.register(Other, slug="user")
    assert ids(admin) == ["admin.E028"]


def test_subclass_options_are_checked_too() -> None:
    class UserAdmin(EntityAdmin):
        search_fields = ("emial",)

    admin = Admin(insecure_dev=True, secret_key=KEY)
    admin.register(User, UserAdmin)
    assert ids(admin) == ["admin.E003"]
