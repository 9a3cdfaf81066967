"""The page of `matcalc serve` in a real browser: Playwright driving Debian's /usr/bin/chromium.

Playwright cannot download its own browsers here, so it launches the system's chromium
(`.ci/run` installs it).  A missing chromium or playwright skips these tests, and with CI set a skip
fails (conftest.py), so the browser test never disappears silently.

MATCALC_UPDATE_SCREENSHOT=1 also writes docs/images/serve.png (the README's picture).
"""
import os
import re
import shutil

import pytest

from web_server import HOMEWORK, running_server

CHROMIUM = "/usr/bin/chromium"
# as the machine notes say: no background traffic (this machine's network is closed), no GPU, no sandbox as root
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# No wait_for_function: its polling evaluates strings in the page, which the page's CSP forbids.
SCREENSHOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "images", "serve.png")


try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:   # reported by the browser fixture: skipped, or failed under CI
    expect = sync_playwright = None


@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        pytest.skip("playwright is not installed (pip install '.[test]')")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def url():
    with running_server(workers=2, time_limit=20) as url:
        yield url


@pytest.fixture
def page(browser, url):
    """A fresh page on the server, with every request it makes recorded in page.requests."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    assert not page.errors, page.errors
    context.close()


def open_empty(page, url):
    """The page with an empty expression box (no example loaded)."""
    page.goto(url + "/#expr=")
    page.locator("#examples option").nth(1).wait_for(state="attached")   # the page has started


def card(page, symbol):
    return page.locator("article.result", has=page.locator("h3", has_text=symbol))


def test_homework_typed_renders_math(page, url, tmp_path):
    open_empty(page, url)
    page.locator("#expr").press_sequentially(HOMEWORK)
    w1 = card(page, "df/dW1")
    math = w1.locator("td.rhs math").last
    math.wait_for()
    text = math.text_content()
    for piece in ["2", "X", "⊤", "R", "W", "⊙", "H", "1−H"]:
        assert piece in text.replace(" ", ""), (piece, text)
    box = math.bounding_box()
    assert box["width"] > 50 and box["height"] > 10
    assert w1.locator("td.lhs math").first.text_content() == "H"   # the named intermediate H = σ(XW₁ + b₁)
    page.screenshot(path=str(tmp_path / "homework.png"), full_page=True)


def test_steps_toggle_shows_the_derivation(page, url):
    open_empty(page, url)
    page.locator("#expr").fill("norm(X@W - Y)^2")
    card(page, "df/dW").locator("math").first.wait_for()
    assert page.locator(".steps").count() == 0
    page.locator("#steps").check()
    steps = card(page, "df/dW").locator(".steps table.derivation")
    steps.wait_for()
    assert "tr" in steps.text_content() and steps.bounding_box()["height"] > 50
    page.locator("#steps").uncheck()
    page.locator(".steps").first.wait_for(state="detached")


def test_error_shows_its_caret_under_the_text(page, url):
    open_empty(page, url)
    page.locator("#expr").fill("X@@W")
    error = page.locator("#expr-error")
    error.wait_for()
    assert error.text_content() == "ParseError: unexpected '@' (line 1, column 3)\n  X@@W\n    ^"
    assert page.locator("#expr").get_attribute("aria-invalid") == "true"


def test_keyboard_only(page, url):
    open_empty(page, url)
    page.keyboard.press("Tab")                      # the examples menu
    page.keyboard.press("Tab")                      # the expression box
    assert page.evaluate("document.activeElement.id") == "expr"
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring != "none", "the focused box shows a focus ring"
    page.keyboard.type("tr(A@B)")
    page.keyboard.press("Enter")
    card(page, "df/dA").locator("math").first.wait_for()
    assert page.locator("#expr").input_value() == "tr(A@B)", "Enter computes; it adds no new line"
    page.keyboard.press("Tab")                      # on to the variables table: A's checkbox
    assert page.evaluate("document.activeElement.id") == "wrt-A"


def test_phone_width_has_no_horizontal_overflow(browser, url):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(url + "/#expr=" + HOMEWORK.replace("+", "%2B") + "&steps=1")
    page.locator(".steps table.derivation").first.wait_for()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]")
    context.close()
    assert max(widths[:2]) <= widths[2], widths


def test_share_url_reproduces_the_page(page, url, browser):
    open_empty(page, url)
    page.locator("#expr").fill("x'@A@x + sum(exp(x))")
    page.locator("#shape-x").wait_for()
    page.locator("#shape-x").fill("4")
    page.locator("#kind").select_option("hessian")
    page.locator("#wrt-A").uncheck()
    card(page, "d2f/dx2").locator("math").first.wait_for()
    expect(page.locator("article.result")).to_have_count(1)
    shared = page.url
    assert re.search(r"kind=hessian", shared) and "shape.x=4" in shared
    other = browser.new_page()
    other.goto(shared)
    card(other, "d2f/dx2").locator("math").first.wait_for()
    assert other.locator("#expr").input_value() == "x'@A@x + sum(exp(x))"
    assert other.locator("#kind").input_value() == "hessian"
    assert other.locator("#shape-x").input_value() == "4"
    assert other.locator("article.result h3").all_text_contents() == page.locator("article.result h3").all_text_contents()
    other.close()


def test_copy_buttons_put_latex_and_the_input_language_on_the_clipboard(page, url):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_empty(page, url)
    page.locator("#expr").fill("tr(A@B)")
    result = card(page, "df/dA")
    result.locator("math").first.wait_for()
    result.get_by_role("button", name="Copy input language").click()
    assert page.evaluate("navigator.clipboard.readText()") == "B'"
    result.get_by_role("button", name="Copy LaTeX").click()
    assert page.evaluate("navigator.clipboard.readText()") == r"\frac{\partial f}{\partial A} = B^\top"


def test_check_button_reports_agreement(page, url):
    open_empty(page, url)
    page.locator("#expr").fill("norm(X@W - Y)^2")
    card(page, "df/dW").locator("math").first.wait_for()
    page.locator("#check").click()
    report = page.locator("#check-report")
    report.wait_for()
    expect(report).to_contain_text("check W")
    assert report.text_content().count(": ok,") == 3


def test_code_export_generates_standalone_torch_code(page, url):
    open_empty(page, url)
    page.locator("#expr").fill("norm(X@W - Y)^2")
    card(page, "df/dW").locator("math").first.wait_for()
    page.locator("#backend").select_option("torch")
    page.locator("#codegen").click()
    code = page.locator("#code")
    expect(code).to_contain_text("def f_and_grad")
    source = code.text_content()
    assert "import torch" in source and "matcalc" not in source.split('"""')[-1]
    expect(page.locator("#copy-code")).to_be_visible()


def test_page_asks_only_its_own_server(page, url):
    page.goto(url + "/")
    page.locator("article.result math").first.wait_for()   # the homework example, loaded by default
    foreign = [r for r in page.requests if not (r.startswith(url + "/") or r.startswith("data:"))]
    assert not foreign, foreign


def test_screenshot(browser, url, tmp_path):
    """The README's picture: the homework example with its shapes."""
    context = browser.new_context(viewport={"width": 1100, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.goto(url + "/")
    page.locator("article.result").nth(3).locator("math").first.wait_for()
    path = tmp_path / "serve.png"
    page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1100, "height": 1500}, full_page=True)
    context.close()
    assert path.stat().st_size > 10_000
    if os.environ.get("MATCALC_UPDATE_SCREENSHOT") == "1":
        os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
        shutil.copyfile(path, SCREENSHOT)
