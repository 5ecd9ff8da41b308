"""The Swagger UI in a real headless Chromium: it renders every operation from local assets (no
CDN) and "Try it out" on search returns results. Skipped when Chromium is not installed."""

import shutil
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from app.config import Settings
from app.main import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
# no background traffic: this machine has no internet, and the page must not need it either
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server_url(seeded_db_url: str) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(Settings(DATABASE_URL=seeded_db_url))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


def test_swagger_ui_renders_and_try_it_out_searches(server_url: str) -> None:
    from playwright.sync_api import sync_playwright

    external: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on(
            "request",
            lambda r: (
                None if r.url.startswith((server_url, "blob:", "data:")) else external.append(r.url)
            ),
        )
        page.goto(f"{server_url}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        # every operation of the schema is drawn, the write API's included
        schema = httpx.get(f"{server_url}/openapi.json").json()
        operations = sum(len(item) for item in schema["paths"].values())
        assert operations >= 15 and page.locator(".opblock").count() == operations
        operation = page.locator("#operations-search-search-search_articles")
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("input[placeholder='q']").fill("whirlpool")
        operation.locator("button.execute").click()
        body = operation.locator(".live-responses-table .response-col_description pre")
        body.first.wait_for(timeout=20_000)
        text = body.first.inner_text()
        swagger_external = list(external)
        page.goto(f"{server_url}/redoc")
        page.wait_for_selector("text=News Corpus API", timeout=20_000)
        browser.close()
    assert '"total": 1' in text and "<mark>whirlpool</mark>" in text
    assert swagger_external == []  # every asset of the Swagger UI came from the service itself
