"""Profile steps and conditions drive a real page through Playwright, with bounded waits
and failures that name the profile line."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from conformance.browser import find_chromium, launch_chromium
from conformance.certify.profile.loader import load_profile
from conformance.certify.session.steps import StepFailed, check_condition, run_step, wait_condition

PAGE = """<!doctype html><html><body data-state="idle">
<form id="f"><input id="number"><select id="dev"><option value="a">Mic A</option>
<option value="b">Mic B</option></select></form>
<button id="go" onclick="setTimeout(() => { document.body.dataset.state = 'busy';
  document.getElementById('out').textContent = 'Calling ' + document.getElementById('number').value
  + ' with ' + document.getElementById('dev').value; }, 200)">Go</button>
<p id="out"></p>
<script>document.getElementById('f').addEventListener('submit', (e) => { e.preventDefault();
  document.getElementById('out').textContent = 'submitted'; });</script>
</body></html>"""

PROFILE = """\
profile: 1
app: {name: Steps, url: "http://127.0.0.1:1/?s={signal}"}
timeout: 3s
actions:
  start_call:
    - fill: '#number'
      value: '{mic_id}'
    - press: '#number'
      key: Enter
    - wait_for: {text: submitted}
    - select_option: '#dev'
      label: '{mic_label}'
    - click: '#go'
    - wait_for: {js: "document.body.dataset.state === 'busy'", timeout: 2s}
  hang_up:
    - click: '#missing'
      timeout: 300ms
call_up:
  selector: body[data-state="busy"]
  text: Calling 42 with b
"""


def on_page(tmp_path: Path, body: Any) -> Any:
    from playwright.async_api import async_playwright

    path = tmp_path / "steps.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    profile = load_profile(path, display_path="steps.yaml")

    async def main() -> Any:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright, find_chromium())
            try:
                page = await browser.new_page()
                await page.set_content(PAGE)
                return await body(page, profile)
            finally:
                await browser.close()

    return asyncio.run(main())


def test_actions_conditions_and_failures(tmp_path: Path) -> None:
    values = {"mic_id": "42", "mic_label": "Mic B", "signal": "x"}

    async def body(page: Any, profile: Any) -> None:
        assert not await check_condition(page, profile.call_up, values)
        for step in profile.actions["start_call"]:
            await run_step(page, step, values)
        assert await check_condition(page, profile.call_up, values)
        assert await wait_condition(page, profile.call_up, values, 1.0)
        # A condition that stops holding: any of its parts stops holding.
        await page.evaluate("() => { document.getElementById('out').textContent = '' }")
        assert await wait_condition(page, profile.call_up, values, 1.0, want=False)
        started = time.monotonic()
        assert not await wait_condition(page, profile.call_up, values, 0.3)
        assert time.monotonic() - started < 2.0  # bounded
        try:
            await run_step(page, profile.actions["hang_up"][0], values)
        except StepFailed as exc:
            assert str(exc).startswith("steps.yaml:16:7: click '#missing': ")
            assert "Timeout 300ms exceeded" in str(exc)
        else:
            raise AssertionError("the missing button was clicked")
        try:
            await run_step(page, profile.actions["start_call"][0], {})
        except StepFailed as exc:
            assert "no value for placeholder {mic_id}" in str(exc)
        else:
            raise AssertionError("an unknown placeholder was filled in")

    on_page(tmp_path, body)


FRAMED = """<!doctype html><html><body><p id="top">top</p>
<iframe name="softphone" id="phone" srcdoc="<input id='pw'><button id='go'
 onclick='document.body.dataset.state = document.getElementById(&quot;pw&quot;).value'>Go</button>"></iframe>
</body></html>"""

REAL = """\
profile: 1
app: {name: Framed, url: "http://app.test/index.html?s={signal}"}
timeout: 3s
setup:
  - goto: other.html?s={signal}
  - evaluate: "await new Promise(r => setTimeout(r, 10)); window.done = {ok: true}"
  - evaluate: "throw new Error('the app refused')"
  - fill: '#pw'
    value: '{env:CERTIFY_STEPS_SECRET}'
    frame: 'iframe[name=softphone]'
  - click: '#go'
    frame: '#phone'
  - wait_for: {selector: 'body[data-state="pa55"]'}
    frame: '#phone'
  - click: '#go'
    frame: '#top'
    timeout: 300ms
actions:
  start_call: [{click: '#go', frame: '#phone'}]
  hang_up: [{click: '#go', frame: '#phone'}]
call_up: {frame: '#phone', js: "document.body.dataset.state === 'pa55'"}
"""


def test_goto_evaluate_frames_and_secrets(tmp_path: Path, monkeypatch: Any) -> None:
    from playwright.async_api import async_playwright

    path = tmp_path / "real.yaml"
    path.write_text(REAL, encoding="utf-8")
    profile = load_profile(path, display_path="real.yaml")
    goto, wait_js, throws, fill, click, wait, wrong_frame = profile.setup
    values = {"signal": "sig"}

    async def main() -> None:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright, find_chromium())
            try:
                page = await browser.new_page()
                await page.route("http://app.test/**", lambda route: route.fulfill(
                    content_type="text/html", body=FRAMED))
                await page.goto("http://app.test/index.html?s=sig")
                await run_step(page, goto, values, base_url="http://app.test/index.html?s=sig")
                assert page.url == "http://app.test/other.html?s=sig"  # relative to the app's URL
                await run_step(page, wait_js, values)
                assert await page.evaluate("window.done.ok") is True
                try:
                    await run_step(page, throws, values)
                except StepFailed as exc:
                    assert str(exc) == ("real.yaml:7:5: evaluate \"throw new Error('the app refused')\": "
                                        "the script failed: Error: the app refused")
                else:
                    raise AssertionError("a throwing script passed")
                monkeypatch.delenv("CERTIFY_STEPS_SECRET", raising=False)
                try:
                    await run_step(page, fill, values)
                except StepFailed as exc:  # names the variable, never a value
                    assert "the environment variable CERTIFY_STEPS_SECRET is not set" in str(exc)
                else:
                    raise AssertionError("a missing secret was filled in")
                monkeypatch.setenv("CERTIFY_STEPS_SECRET", "pa55")
                assert not await check_condition(page, profile.call_up, values)
                for step in (fill, click, wait):  # in the iframe's document
                    await run_step(page, step, values)
                assert await check_condition(page, profile.call_up, values)
                assert await wait_condition(page, profile.call_up, values, 1.0)
                try:
                    await run_step(page, wrong_frame, values)
                except StepFailed as exc:
                    assert "frame '#top' selects an element that is not an iframe" in str(exc)
                else:
                    raise AssertionError("a paragraph was used as a frame")
            finally:
                await browser.close()

    asyncio.run(main())


def test_a_saved_login_is_applied_before_the_app_loads(tmp_path: Path) -> None:
    from playwright.async_api import async_playwright

    from conformance.certify.profile.storage import apply_storage_state

    state = tmp_path / "login.json"
    state.write_text(json.dumps({
        "cookies": [{"name": "sid", "value": "abc", "domain": "app.test", "path": "/", "expires": -1,
                     "httpOnly": False, "secure": False, "sameSite": "Lax"}],
        "origins": [{"origin": "http://app.test", "localStorage": [{"name": "token", "value": "t0k"}]}],
    }), encoding="utf-8")
    served: list[str] = []

    async def app(route: Any) -> None:
        served.append(route.request.url)
        await route.fulfill(content_type="text/html", body="<p>app</p>")

    async def main() -> tuple[str, str]:
        async with async_playwright() as playwright:
            browser = await launch_chromium(playwright, find_chromium())
            try:
                context = await browser.new_context()
                await context.route("http://app.test/**", app)
                await apply_storage_state(context, state)
                assert served == []  # localStorage was set without asking the app's server
                page = await context.new_page()
                await page.goto("http://app.test/index.html")
                return (await page.evaluate("localStorage.getItem('token')"),
                        await page.evaluate("document.cookie"))
            finally:
                await browser.close()

    assert asyncio.run(main()) == ("t0k", "sid=abc")
