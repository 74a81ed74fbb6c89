"""The moderators' console in a real browser: Debian's Chromium, headless, driven by Playwright.

The page is the one the package ships (handlers/console/static/), served by the real bot's
console server; Telegram's telegram-web-app.js is replaced by a stub that hands the page init
data signed with the test bot's token (tests/console.py), so the server's check runs for real.
Decisions go through the real domain and reach the review chat and the reporter through the
loopback Bot API.

One Chromium serves the whole module. It runs on an event loop of its own, in a thread of its
own: each test runs on its own loop (the bot's and the loopback's), and Playwright's objects
belong to the loop that made them. `Browser.run` hands a step to the browser's loop and waits
for it without blocking the test's loop, which keeps serving the bot while the page calls it.
With CONSOLE_SCREENSHOTS naming a folder, the first test also saves the queue and a case at
phone and desktop size there (docs/console/*.png are made so).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    Browser as PlaywrightBrowser,
)
from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Route,
    ViewportSize,
    async_playwright,
    expect,
)

from loopback import CallbackAnswer, ChatHandle, LoopbackServer, SentMessage, UserHandle
from tests.conftest import ADMIN_ID, MODERATOR_ID, TEST_TOKEN, RunningBot
from tests.console import ConsoleClient, signed_init_data, telegram_user
from tests.e2e.reporting_steps import Reporter, rows
from tests.helpers import FakeClock
from tests.workers import free_port

pytestmark = pytest.mark.xdist_group("console_browser")

T = TypeVar("T")

#: Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or the one CHROMIUM names.
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=800)
#: Telegram's own light and dark themeParams (the colours its clients hand a Mini App).
LIGHT = {
    "bg_color": "#ffffff",
    "text_color": "#000000",
    "hint_color": "#999999",
    "link_color": "#2481cc",
    "button_color": "#2481cc",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#efeff3",
}
DARK = {
    "bg_color": "#212121",
    "text_color": "#ffffff",
    "hint_color": "#aaaaaa",
    "link_color": "#8774e1",
    "button_color": "#8774e1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#181818",
}
OTHER_MODERATOR_ID = 900012

# A step in the page may wait for the bot (a decision, a refresh); the loopback answers at once.
expect.set_options(timeout=15_000)


class Browser:
    """Chromium on an event loop of its own (module docstring)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="chromium", daemon=True)
        self.thread.start()
        self.playwright: Playwright = self._wait(async_playwright().start())
        self.browser: PlaywrightBrowser = self._wait(
            self.playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        )

    def _wait(self, step: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(step, self.loop).result(timeout=60)

    async def run(self, step: Coroutine[Any, Any, T]) -> T:
        """Runs one Playwright step on the browser's loop; the test's loop keeps running."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(step, self.loop))

    def close(self) -> None:
        try:
            self._wait(self.browser.close())
            self._wait(self.playwright.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=30)
            self.loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: the console's browser tests drive a real one. Install "
            "Debian's (apt-get install chromium) or name another with CHROMIUM=/path/to/chromium"
        )
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


def telegram_stub(init_data: str, user: dict[str, Any], theme: dict[str, str]) -> str:
    """telegram-web-app.js as far as the page uses it: the init data, the theme, the events."""
    scheme = "dark" if theme is DARK else "light"
    return f"""
(() => {{
  const handlers = {{}};
  const webApp = {{
    initData: {json.dumps(init_data)},
    initDataUnsafe: {json.dumps({"user": user})},
    version: "8.0",
    platform: "tdesktop",
    colorScheme: {json.dumps(scheme)},
    themeParams: {json.dumps(theme)},
    isExpanded: false,
    viewportHeight: window.innerHeight,
    viewportStableHeight: window.innerHeight,
    ready() {{ webApp.readyCalls = (webApp.readyCalls || 0) + 1; }},
    expand() {{ webApp.isExpanded = true; }},
    onEvent(name, handler) {{ (handlers[name] ||= []).push(handler); }},
    offEvent(name, handler) {{
      handlers[name] = (handlers[name] || []).filter((h) => h !== handler);
    }},
    emit(name) {{ for (const handler of handlers[name] || []) handler.call(webApp); }},
    BackButton: {{
      isVisible: false,
      show() {{ this.isVisible = true; }},
      hide() {{ this.isVisible = false; }},
      onClick() {{}},
      offClick() {{}},
    }},
  }};
  window.Telegram = {{ WebApp: webApp }};
}})();
"""


@dataclass
class Console:
    """One Mini App opening: a browser context of its own (its own sessionStorage)."""

    browser: Browser
    context: BrowserContext
    page: Page
    url: str
    requests: list[str] = field(default_factory=list)
    csp_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    async def run(self, step: Coroutine[Any, Any, T]) -> T:
        return await self.browser.run(step)

    async def see(self, selector: str, text: str) -> None:
        """Waits until the element shows `text`."""
        await self.run(expect(self.page.locator(selector)).to_contain_text(text))

    async def text(self, selector: str) -> str:
        return await self.run(self.page.locator(selector).inner_text())

    async def click(self, selector: str) -> None:
        await self.run(self.page.locator(selector).click())

    async def key(self, key: str) -> None:
        await self.run(self.page.keyboard.press(key))

    async def error_code(self) -> str | None:
        await self.run(expect(self.page.locator("#screen-error")).to_be_visible())
        return await self.run(self.page.locator("#screen-error").get_attribute("data-code"))

    async def screenshot(self, path: Path) -> None:
        await self.run(self.page.screenshot(path=str(path)))


@dataclass
class Desk:
    """The bot with its console on, a review chat, a moderator and the test's clock."""

    bot: RunningBot
    server: LoopbackServer
    chat: ChatHandle
    moderator: UserHandle
    clock: FakeClock
    port: int
    browser: Browser

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def init_data(
        self,
        user_id: int = MODERATOR_ID,
        *,
        token: str = TEST_TOKEN,
        language: str = "en",
        **kw: Any,
    ) -> str:
        auth_date = kw.pop("auth_date", int(self.clock.now().timestamp()))
        user = self.user(user_id, language)
        return signed_init_data(token, user, auth_date=auth_date, **kw)

    def user(self, user_id: int, language: str = "en") -> dict[str, Any]:
        return telegram_user(user_id, first_name=f"Staff{user_id}", language_code=language)

    async def open(
        self,
        init_data: str | None = None,
        *,
        user_id: int = MODERATOR_ID,
        viewport: ViewportSize = DESKTOP,
        theme: dict[str, str] = LIGHT,
        language: str = "en",
    ) -> Console:
        data = init_data if init_data is not None else self.init_data(user_id, language=language)
        stub = telegram_stub(data, self.user(user_id, language), theme)
        context = await self.browser.run(
            self.browser.browser.new_context(
                viewport=viewport,
                locale="en-US",
                color_scheme="dark" if theme is DARK else "light",
                service_workers="block",
            )
        )
        page = await self.browser.run(context.new_page())
        console = Console(self.browser, context, page, f"{self.base}/console/")

        async def telegram_script(route: Route) -> None:
            await route.fulfill(status=200, content_type="application/javascript", body=stub)

        def seen(request: Request) -> None:
            console.requests.append(request.url)

        def logged(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                console.csp_errors.append(message.text)

        def failed(error: Exception) -> None:
            console.page_errors.append(str(error))

        await self.browser.run(context.route(TELEGRAM_SCRIPT, telegram_script))
        page.on("request", seen)
        page.on("console", logged)
        page.on("pageerror", failed)
        await self.browser.run(page.goto(console.url))
        return console

    async def close(self, console: Console) -> None:
        """Closes the page; it asked nothing of any host but the bot's and Telegram's script."""
        await self.browser.run(console.context.close())
        assert hosts(console) <= {f"127.0.0.1:{self.port}", "telegram.org"}
        assert {u for u in console.requests if "telegram.org" in u} <= {TELEGRAM_SCRIPT}
        assert console.csp_errors == []
        assert console.page_errors == []

    def posted(self) -> list[SentMessage]:
        return [m for m in self.chat.messages() if "Case #" in m.text]

    def current(self, message: SentMessage) -> SentMessage:
        return next(m for m in self.chat.messages() if m.message_id == message.message_id)


@pytest.fixture
async def desk(
    start_bot: Callable[..., Any],
    make_settings: Callable[..., Any],
    loopback: LoopbackServer,
    browser: Browser,
) -> Desk:
    moderator = loopback.add_user(
        first_name="Mona", username="mona_mod", language_code="en", user_id=MODERATOR_ID
    )
    chat = loopback.add_supergroup(title="Review", members=[moderator], bot_admin=True)
    clock = FakeClock()
    port = free_port()
    settings = make_settings(
        review_chat_id=chat.id,
        case_edit_debounce_seconds=0,
        moderator_ids=frozenset({MODERATOR_ID, OTHER_MODERATOR_ID}),
        console_url="https://console.example.org/console/",
        console_listen="127.0.0.1",
        console_port=port,
    )
    bot: RunningBot = await start_bot(settings, clock=clock)
    return Desk(bot, loopback, chat, moderator, clock, port, browser)


async def file(desk: Desk, name: str, target: str, category: str = "drugs") -> Reporter:
    """A reporter files a one-message report; returns once the case is posted for review."""
    reporter = Reporter(desk.server.add_user(first_name=name, language_code="en"), desk.server)
    before = len(desk.posted())
    receipt = await reporter.say(f"/report {target} {category} cheap pills")
    assert "received" in receipt.text
    await desk.bot.until_delivered(lambda: len(desk.posted()) > before, "the case posted")
    return reporter


def statuses(desk: Desk) -> list[tuple[Any, ...]]:
    return rows(desk.bot.settings.database, "SELECT id, status FROM cases ORDER BY id")


def hosts(console: Console) -> set[str]:
    return {urlsplit(url).netloc for url in console.requests if not url.startswith("data:")}


async def test_a_moderator_signs_in_sees_the_queue_and_a_decision_reaches_chat_and_reporter(
    desk: Desk,
) -> None:
    alice = await file(desk, "Alice", "@pill_shop_one", "drugs")
    await file(desk, "Bob", "@pill_shop_two", "scam")
    await file(desk, "Carol", "t.me/pill_shop_two/42", "drugs")
    posted = desk.posted()[0]

    console = await desk.open()
    await console.see("#who", "user900002")
    await console.see("#summary", "3")
    await console.see("#queue", "@pill_shop_one")
    assert await console.run(console.page.locator("#queue li").count()) == 3
    headers = await desk_headers(desk)
    csp = headers.get("Content-Security-Policy", "")
    assert "script-src" in csp
    assert "unsafe-inline" not in csp
    assert headers.get("X-Content-Type-Options") == "nosniff"

    assert await console.run(console.page.evaluate(UNNAMED_CONTROLS)) == []
    text_ratio, hint_ratio = await console.run(console.page.evaluate(CONTRAST))
    assert text_ratio >= 4.5
    assert hint_ratio >= 4.5  # Telegram's light hint grey (#999999) alone reads at 2.8:1
    await shots(desk, console, "queue")
    await console.click(f"#open-{case_id(desk, '@pill_shop_one')}")
    await console.see("#case-key", "@pill_shop_one")
    await console.see("#case-reports", "cheap pills")
    assert await console.run(console.page.locator("#case a, #case img, #case iframe").count()) == 0
    assert await console.run(console.page.evaluate(UNNAMED_CONTROLS)) == []
    assert "Alice" not in await console.text("#case")
    await console.run(console.page.fill("#note-text", "Same shop as last week's reports."))
    await console.click("#note-submit")
    await console.see("#case-notes", "Same shop as last week's reports.")
    await shots(desk, console, "case")

    await console.click("#d-approve")
    await console.run(console.page.select_option("#d-category", "drugs"))
    await console.click("#d-submit")
    await console.see("#announce", "approved")
    await console.see("#case-decided", "Approved")
    await console.run(expect(console.page.locator("#case-undo")).to_be_visible())
    # Undo within the window puts the case back; deciding again works as the first time.
    await console.click("#case-undo")
    await console.see("#announce", "pending again")
    await desk.bot.until_stored(lambda: statuses(desk)[0][1] == "pending")
    await console.run(expect(console.page.locator("#case-decided")).to_be_hidden())
    await console.click("#d-submit")
    await console.see("#case-decided", "Approved")
    await desk.bot.until_stored(lambda: "approved" in [s for _, s in statuses(desk)])
    await desk.bot.until_delivered(
        lambda: "Approved" in desk.current(posted).text, "the group message shows the decision"
    )
    desk.clock.advance(timedelta(minutes=6))  # past the undo window: reporters are told then
    await desk.bot.until_delivered(
        lambda: any("confirmed a violation" in m.text for m in alice.user.messages()),
        "the reporter told",
    )

    # A reload within the session signs in from sessionStorage: the same init data again
    # would be a replay, refused.
    await console.run(console.page.reload())
    await console.see("#queue", "@pill_shop_two")
    sessions = [u for u in console.requests if u.endswith("/console/api/session")]
    assert len(sessions) == 1

    # Telegram switches to its dark theme: the page follows.
    await console.run(
        console.page.evaluate(
            "(dark) => { Telegram.WebApp.themeParams = dark; "
            "Telegram.WebApp.emit('themeChanged'); }",
            DARK,
        )
    )
    background = await console.run(
        console.page.evaluate("getComputedStyle(document.body).backgroundColor")
    )
    assert background == "rgb(33, 33, 33)"
    text_ratio, hint_ratio = await console.run(console.page.evaluate(CONTRAST))
    assert text_ratio >= 4.5
    assert hint_ratio >= 4.5
    # ... and its viewport: the stable height becomes the layout's height.
    told = await console.run(
        console.page.evaluate(
            "() => { const app = Telegram.WebApp; app.viewportStableHeight = 612; "
            "app.emit('viewportChanged'); return [app.readyCalls, app.isExpanded, "
            "document.documentElement.style.getPropertyValue('--tg-viewport-stable-height')]; }"
        )
    )
    assert told == [1, True, "612px"]

    assert hosts(console) == {f"127.0.0.1:{desk.port}", "telegram.org"}
    assert [u for u in console.requests if "telegram.org" in u] == [TELEGRAM_SCRIPT] * 2

    # The session outlives its minutes: the next call says so and what to do.
    desk.clock.advance(timedelta(minutes=desk.bot.settings.console_session_minutes + 1))
    await console.click("#queue-refresh")
    assert await console.error_code() == "session_expired"
    await console.see("#error-text", "open it again")
    await desk.close(console)


#: Visible form controls without an accessible name (a label, aria-label or a button's text).
UNNAMED_CONTROLS = """() => [...document.querySelectorAll("button, select, input, textarea")]
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !(
    (el.getAttribute("aria-label") || "").trim() ||
    [...(el.labels || [])].some((label) => label.textContent.trim()) ||
    (el.tagName === "BUTTON" && el.textContent.trim())
  ))
  .map((el) => el.id || el.outerHTML.slice(0, 80))"""

#: WCAG contrast of the body text and of the hint grey (a queue line) against the background.
CONTRAST = """() => {
  const rgb = (css) => css.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const bg = rgb(getComputedStyle(document.body).backgroundColor);
  const text = rgb(getComputedStyle(document.body).color);
  const hint = rgb(getComputedStyle(document.querySelector("#queue .line2")).color);
  return [ratio(text, bg), ratio(hint, bg)];
}"""


async def desk_headers(desk: Desk) -> dict[str, str]:
    async with ConsoleClient(desk.base) as client:
        answer = await client.get("/console/")
    return dict(answer.headers)


def case_id(desk: Desk, target_key: str) -> int:
    found = rows(
        desk.bot.settings.database,
        "SELECT cases.id FROM cases JOIN targets ON targets.id = cases.target_id "
        "WHERE targets.key = ?",
        target_key,
    )
    return int(found[0][0])


async def shots(desk: Desk, console: Console, name: str) -> None:
    """With CONSOLE_SCREENSHOTS set, the page at phone and desktop size (light theme)."""
    folder = os.environ.get("CONSOLE_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    await console.screenshot(Path(folder) / f"{name}-desktop.png")
    await console.run(console.page.set_viewport_size(PHONE))
    await console.screenshot(Path(folder) / f"{name}-phone.png")
    await console.run(console.page.set_viewport_size(DESKTOP))


async def test_forged_expired_replayed_and_non_staff_sign_ins_are_refused_with_what_to_do(
    desk: Desk,
) -> None:
    forged = desk.init_data(token="987654321:another-bot-token-not-a-secret-000000")
    console = await desk.open(forged)
    assert await console.error_code() == "init_data_invalid"
    await console.see("#error-text", "open it again")
    await desk.close(console)

    old = int((desk.clock.now() - timedelta(days=2)).timestamp())
    console = await desk.open(desk.init_data(auth_date=old))
    assert await console.error_code() == "init_data_expired"
    await desk.close(console)

    used = desk.init_data()
    async with ConsoleClient(desk.base) as client:
        assert (await client.open_session(used)).status == 200
    console = await desk.open(used)
    assert await console.error_code() == "init_data_replayed"
    await desk.close(console)

    stranger = 777001
    console = await desk.open(desk.init_data(stranger), user_id=stranger)
    assert await console.error_code() == "not_staff"
    await console.see("#error-text", "Ask an admin")
    assert await console.run(console.page.locator("#queue li").count()) == 0
    await desk.close(console)


async def test_a_console_decision_racing_a_group_press_is_one_decision(desk: Desk) -> None:
    await file(desk, "Alice", "@race_shop", "drugs")
    posted = desk.posted()[0]
    console = await desk.open(desk.init_data(OTHER_MODERATOR_ID), user_id=OTHER_MODERATOR_ID)
    await console.click(f"#open-{case_id(desk, '@race_shop')}")
    await console.see("#case-key", "@race_shop")
    menu_press = await desk.moderator.press(posted, text="✅ Approve")
    await menu_press.answered(timeout=15)
    await desk.server.wait_for(
        lambda: "✓ Illegal drugs" in desk.current(posted).button_texts(), timeout=15
    )
    menu = desk.current(posted)

    async def group() -> CallbackAnswer:
        press = await desk.moderator.press(menu, text="✓ Illegal drugs")
        return await press.answered(timeout=15)

    answer, _ = await asyncio.gather(group(), console.click("#d-submit"))
    await console.run(expect(console.page.locator("#case-decided")).to_be_visible())
    await console.run(expect(console.page.locator("#announce")).not_to_be_empty())
    assert statuses(desk) == [(1, "approved")]
    decided = rows(
        desk.bot.settings.database,
        "SELECT count(*) FROM audit_log WHERE action = 'case.approved'",
    )
    assert decided == [(1,)]
    # Whoever lost is told who decided: the console names the group's moderator, or the
    # group's press is answered with the console's moderator.
    outcome = await console.text("#announce")
    console_won = outcome == "Case #1 approved."
    if console_won:
        assert "user900012" in (answer.text or "")
    else:
        assert "mona_mod" in outcome
    await desk.close(console)


async def test_keyboard_moves_through_the_queue_and_rejects_and_goes_to_the_next(
    desk: Desk,
) -> None:
    await file(desk, "Alice", "@key_shop_one", "drugs")
    await file(desk, "Bob", "@key_shop_two", "drugs")
    console = await desk.open(desk.init_data(ADMIN_ID), user_id=ADMIN_ID)
    await console.see("#queue", "@key_shop_two")
    await console.key("j")
    first = await console.run(console.page.evaluate("document.activeElement.dataset.id"))
    await console.key("Enter")
    await console.see("#case-title", f"#{first}")
    await console.key("r")
    assert await console.run(console.page.evaluate("document.activeElement.id")) == "d-reason"
    await console.key("Shift+Enter")  # submit and next
    await desk.bot.until_stored(lambda: "rejected" in [s for _, s in statuses(desk)])
    await console.run(expect(console.page.locator("#case-title")).not_to_contain_text(f"#{first}"))
    # Letters typed into a field are text, not shortcuts.
    await console.key("n")
    await console.run(console.page.keyboard.type("a note about jerks"))
    assert await console.run(console.page.input_value("#note-text")) == "a note about jerks"
    assert [s for _, s in statuses(desk)].count("rejected") == 1
    # An admin also gets the admins' panel, in a tab of its own.
    await console.click("#tab-admin")
    await console.run(expect(console.page.locator("#panel-admin")).not_to_be_empty())
    await console.run(expect(console.page.locator("#panel-review")).to_be_hidden())
    await console.click("#tab-review")
    await console.run(expect(console.page.locator("#panel-review")).to_be_visible())
    await desk.close(console)


async def test_bulk_decides_every_case_of_one_network_with_one_confirmation(desk: Desk) -> None:
    await file(desk, "Alice", "@netshop", "scam")
    await file(desk, "Bob", "t.me/netshop/7", "scam")
    await file(desk, "Carol", "@other_place", "scam")
    console = await desk.open(language="ru")  # the page speaks the session user's language
    await console.see("#queue-next", "Следующее дело")
    assert await console.run(console.page.get_attribute("html", "lang")) == "ru"
    await console.see("#queue", "@other_place")
    await console.click("#bulk-box > summary")
    await console.run(console.page.fill("#bulk-prefix", "@netshop"))
    await console.click("#bulk-prefix-go")
    await console.see("#bulk-count", "2")
    await console.click("#bulk-reject")
    await console.see("#bulk-dialog-title", "2")
    await console.click("#bulk-dialog-go")
    await console.run(expect(console.page.locator("#bulk-results li.ok")).to_have_count(2))
    assert sorted(s for _, s in statuses(desk)) == ["pending", "rejected", "rejected"]
    await desk.close(console)
