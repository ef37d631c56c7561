"""One way to drive the system Chromium (never a downloaded browser), shared by the browser tests and scripts."""

from contextlib import contextmanager

from django.urls import reverse

CHROMIUM_PATH = "/usr/bin/chromium"
# --no-sandbox because CI runs as root; the rest keep Chromium off the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@contextmanager
def chromium_page(*, executable=CHROMIUM_PATH, width=1280, height=800, timeout_ms=15_000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def browser_login(page, base_url, *, username, password):
    page.goto(base_url + reverse("login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
