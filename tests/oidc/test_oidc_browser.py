"""OpenID Connect login in headless Chromium: the app sends the browser to the real
provider's login page, ann signs in there, and the app's page names her; a callback
with another login's state (login CSRF) is refused in the browser; the logout button ends
the session here and, after the provider's question, there too."""

from __future__ import annotations

import pytest
from nitro_oidc import LOGGED_OUT, PASSWORD, USERNAME, start_login
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


def sign_in_at_the_provider(page, provider_url: str) -> None:
    page.wait_for_url(f"{provider_url}/interaction/**")
    page.get_by_label("Login").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("adapter", ["fastapi", "flask"])
def test_login_round_trips_through_the_provider(chromium, oidc_app, oidc_provider, adapter):
    app = oidc_app(adapter)
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(app.at("/"))
        expect(page.locator("#who")).to_have_text("Nobody is logged in")
        page.goto(app.at("/auth/login?next=/"))
        sign_in_at_the_provider(page, oidc_provider.issuer)
        page.wait_for_url(app.at("/"))
        expect(page.locator("#who")).to_have_text("Logged in as ann (ann); roles: editor,reader")
        cookies = {c["name"]: c for c in context.cookies(app.url)}
        assert "nitro_oidc" not in cookies  # the login in progress is spent
    finally:
        context.close()


def test_another_logins_state_is_refused_in_the_browser(chromium, oidc_app, oidc_provider):
    app = oidc_app("fastapi")
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(app.at("/auth/login"))  # this browser's login in progress...
        page.wait_for_url(f"{oidc_provider.issuer}/interaction/**")
        _, forged = start_login(app)  # ...and the callback of an attacker's own login
        response = page.goto(forged)
        assert response is not None
        assert response.status == 400
        expect(page.locator("h1")).to_have_text("Login refused")
        expect(page.locator("body")).to_contain_text("state does not match")
        page.goto(app.at("/"))
        expect(page.locator("#who")).to_have_text("Nobody is logged in")
    finally:
        context.close()


def test_log_out_here_and_at_the_provider_in_the_browser(chromium, oidc_app, oidc_provider):
    app = oidc_app("fastapi", post_logout_redirect_uri=LOGGED_OUT)
    context = chromium.new_context()
    try:
        page = context.new_page()
        # (nothing listens there: the page the provider sends the browser back to)
        page.route(LOGGED_OUT, lambda route: route.fulfill(body="<h1>Logged out</h1>"))
        page.goto(app.at("/auth/login?next=/"))
        sign_in_at_the_provider(page, oidc_provider.issuer)
        page.wait_for_url(app.at("/"))
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(f"{oidc_provider.issuer}/session/end**")
        page.get_by_role("button", name="Yes, sign me out").click()
        page.wait_for_url(LOGGED_OUT)
        expect(page.locator("h1")).to_have_text("Logged out")
        page.goto(app.at("/"))
        expect(page.locator("#who")).to_have_text("Nobody is logged in")
        page.goto(app.at("/auth/login?next=/"))  # the provider asks again
        sign_in_at_the_provider(page, oidc_provider.issuer)
        page.wait_for_url(app.at("/"))
        expect(page.locator("#who")).to_contain_text("Logged in as ann")
    finally:
        context.close()
