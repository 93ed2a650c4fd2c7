"""site.py: registration, the setup phase, routes, the default site."""

from __future__ import annotations

import pytest

from nitro import Entity
from nitro.admin import (
    Admin,
    AlreadyMounted,
    AlreadyRegistered,
    EntityAdmin,
    NotRegistered,
)
from nitro.admin import admin as default_admin

KEY = "k" * 32


class Note(Entity):
    title: str = ""


def test_default_site_is_an_admin_at_slash_admin() -> None:
    assert isinstance(default_admin, Admin)
    assert default_admin.prefix == "/admin"


def test_register_with_keywords_builds_a_subclass() -> None:
    admin = Admin(insecure_dev=True)
    options = admin.register(Note, list_display=["title"], label_plural="Notes!")
    assert isinstance(options, EntityAdmin)
    assert type(options).__name__ == "NoteAdmin"
    assert options.list_display == ["title"]
    assert options.label_plural_value == "Notes!"
    assert EntityAdmin.list_display is None  # the base class is untouched


def test_register_twice_is_an_error() -> None:
    admin = Admin(insecure_dev=True)
    admin.register(Note)
    with pytest.raises(AlreadyRegistered, match="already registered"):
        admin.register(Note)
    admin.unregister(Note)
    admin.register(Note)
    with pytest.raises(NotRegistered):
        Admin().unregister(Note)


def test_unknown_option_suggests_the_right_one() -> None:
    with pytest.raises(TypeError, match="'list_dispay'; did you mean 'list_display'"):
        Admin().register(Note, list_dispay=["title"])


def test_register_refuses_non_entities() -> None:
    with pytest.raises(TypeError, match="nitro Entity class"):
        Admin().register(dict)
    with pytest.raises(TypeError, match="EntityAdmin subclass"):
        Admin().register(Note, dict)  # type: ignore[arg-type]


def test_register_after_mount_names_the_fix() -> None:
    admin = Admin(insecure_dev=True, secret_key=KEY)
    admin.web_routes()

    class Late(Entity):
        x: int = 0

    with pytest.raises(AlreadyMounted, match=r"admin\.register\(Late\) was called after"):
        admin.register(Late)
    with pytest.raises(AlreadyMounted, match="before mount"):
        admin.unregister(Note)


def test_routes_per_entity_under_the_prefix() -> None:
    admin = Admin("/back-office/", insecure_dev=True, secret_key=KEY)
    admin.register(Note)
    routes = {(route.methods, route.path) for route in admin.web_routes()}
    assert routes == {
        (("GET",), "/back-office/"),
        (("GET",), "/back-office"),
        (("GET", "POST"), "/back-office/login"),
        (("POST",), "/back-office/logout"),
        (("GET",), "/back-office/note"),
        (("GET",), "/back-office/note/_results"),
        (("GET",), "/back-office/note/_lookup"),
        (("POST",), "/back-office/note/_action"),
        (("GET", "POST"), "/back-office/note/new"),
        (("GET", "POST"), "/back-office/note/{id}/edit"),
        (("GET", "POST"), "/back-office/note/{id}/delete"),
        (("GET",), "/back-office/note/{id}/history"),
    }
    names = [route.name for route in admin.web_routes()]
    assert len(names) == len(set(names))
    assert all(name.startswith("nitro_admin_back_office") for name in names)


def test_two_sites_share_nothing() -> None:
    first, second = Admin("/a", insecure_dev=True), Admin("/b", insecure_dev=True)
    first.register(Note)
    assert second.registry == {}
