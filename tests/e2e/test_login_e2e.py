"""Logging in for real: an OpenID Connect provider on a loopback port, the app, Chromium.

The provider is ``oidc-provider-mock`` started in this process; it checks the
client's id, secret and exact redirect URI like a real one. The app runs with
an ``[auth]`` section pointing at it and a roles file; Playwright logs in
through the provider's form. No internet is needed.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from monitoring import log_records
from monitoring.store import audit, slices
from monitoring.store.annotations import add_annotation
from monitoring.store.connection import Store
from monitoring.store.slices import Upload
from tests.conftest import tiny_records, tiny_spec
from tests.e2e.conftest import free_port, serve, wait_ready

pytestmark = pytest.mark.e2e
HOST = "127.0.0.1"  # one host everywhere: the login cookie is bound to it
USERS = {"vera@example.org": "viewer", "ed@example.org": "editor", "ada@example.org": "admin"}


@dataclass(frozen=True)
class LoginApp:
    url: str
    db: Path


@pytest.fixture(scope="module")
def login_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoginApp]:
    import oidc_provider_mock

    tmp = tmp_path_factory.mktemp("login")
    db = tmp / "login.duckdb"
    spec = tiny_spec()
    log_records(tiny_records(60, freq="12h"), spec, db=db)
    records = tiny_records(20, start="2024-03-01")[list(spec.columns())]
    records[["pred", "label"]] = records[["pred", "label"]].astype(str)
    slices.write_slice(Store(db), spec, Upload("march.csv", "ef" * 32, records), "March")
    add_annotation(Store(db), "churn", dt.date(2024, 1, 10), "model v2 deployed")
    roles = tmp / "roles.toml"
    roles.write_text("[users]\n" + "".join(f'"{e}" = "{r}"\n' for e, r in USERS.items()))
    port = free_port()
    users = [oidc_provider_mock.User(sub=e, claims={"email": e}) for e in USERS]
    with oidc_provider_mock.run_server_in_thread(
        port=free_port(), require_client_registration=True, user_claims=users
    ) as provider:
        issuer = f"http://{HOST}:{provider.server_port}"
        client = httpx.post(
            f"{issuer}/oauth2/clients",
            json={
                "redirect_uris": [f"http://{HOST}:{port}/oauth2callback"],
                "token_endpoint_auth_method": "client_secret_basic",
            },
        ).raise_for_status()
        settings = tmp / "secrets.toml"
        settings.write_text(
            "[auth]\n"
            f'redirect_uri = "http://{HOST}:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            f'client_id = "{client.json()["client_id"]}"\n'
            f'client_secret = "{client.json()["client_secret"]}"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        )
        # --secrets.files replaces the default list: a developer's own secrets never leak in.
        with serve(
            db, {"DRIFTWATCH_ROLES": str(roles)}, ("--secrets.files", str(settings)), port
        ) as url:
            yield LoginApp(url, db)


def log_in(page, app: LoginApp, email: str) -> None:
    page.goto(app.url)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/oauth2/authorize"))
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(app.url) + r"/?$"))
    wait_ready(page)
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"Signed in as {email}")


def open_page(page, app: LoginApp, path: str) -> None:
    page.goto(f"{app.url}/{path}?model=churn")
    wait_ready(page)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def test_a_visitor_sees_only_the_login_button(login_app: LoginApp, page) -> None:
    page.goto(f"{login_app.url}/upload?model=churn")
    wait_ready(page)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("Sign in to see the monitored models.")).to_be_visible()
    expect(page.get_by_text("churn")).to_have_count(0)
    expect(page.get_by_role("button", name="Upload")).to_have_count(0)


def test_a_viewer_cannot_upload_delete_or_write(login_app: LoginApp, page) -> None:
    log_in(page, login_app, "vera@example.org")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("viewer")
    open_page(page, login_app, "upload")
    expect(page.get_by_text("Uploading a file needs the editor role")).to_be_visible()
    expect(page.locator('[data-testid="stFileUploaderDropzoneInput"]')).to_have_count(0)
    expect(page.get_by_text("March", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    open_page(page, login_app, "timeline")
    page.locator('[data-testid="stExpander"]').filter(has_text="Notes on").locator(
        "summary"
    ).click()
    expect(page.get_by_text("Writing notes needs the editor role")).to_be_visible()
    expect(page.get_by_role("button", name="Add note")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)


def test_an_admin_deletes_after_confirming_and_is_in_the_activity(
    login_app: LoginApp, page
) -> None:
    log_in(page, login_app, "ada@example.org")
    open_page(page, login_app, "upload")
    page.get_by_role("button", name="Delete").click()
    wait_ready(page)
    expect(page.get_by_text("Delete slice March and its 20 rows?")).to_be_visible()
    assert slices.list_slices(Store(login_app.db), "churn")  # asked, not done yet
    page.get_by_role("button", name="Yes, delete").click()
    wait_ready(page)
    expect(page.get_by_text("No saved slices yet.")).to_be_visible()
    assert slices.list_slices(Store(login_app.db), "churn") == []
    open_page(page, login_app, "data")
    page.get_by_role("tab", name="Activity").click()
    panel = page.get_by_role("tabpanel", name="Activity")
    expect(panel.get_by_text("Who changed what for this model")).to_be_visible()
    expect(panel.locator('[data-testid="stDataFrame"]')).to_be_visible()  # a canvas: no text
    newest = audit.entries(Store(login_app.db), "churn").iloc[0]
    assert (newest["user"], newest["role"], newest["action"]) == (
        "ada@example.org",
        "admin",
        "delete_slice",
    )


def test_log_out(login_app: LoginApp, page) -> None:
    log_in(page, login_app, "ed@example.org")
    page.get_by_role("button", name="Log out").click()
    # The provider advertises an end-session endpoint; its page wants one click.
    page.wait_for_url(re.compile(r"/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(re.compile(re.escape(login_app.url) + r"/?$"))
    wait_ready(page)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_without_a_login_a_browser_elsewhere_may_only_browse(app_url: str, browser) -> None:
    """Behind a proxy on this machine, the forwarded address tells who is elsewhere."""
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": "203.0.113.7"})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/upload?model=flight_delay_classifier")
        wait_ready(page)
        expect(page.get_by_test_id("stSidebar")).to_contain_text("you may browse and export only")
        expect(page.get_by_text("Uploading a file needs the editor role")).to_be_visible()
        expect(page.locator('[data-testid="stFileUploaderDropzoneInput"]')).to_have_count(0)
    finally:
        context.close()
