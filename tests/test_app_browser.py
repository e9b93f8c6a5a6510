"""``ccsim app`` in a real browser: a trainer's lesson, driven in headless Chromium.

Open, run, change agents (typed into the number field), run, pin, compare, play the
floor; then bad input (a negative agent count, a YAML with errors) shows the CLI's
message and keeps the result. Uses Playwright with the system's Chromium
(``apt-get install -y chromium``; Playwright's own browser downloads are not needed).
Skipped only when no Chromium (or no Playwright) is found and ``CI`` is not set; on CI
a missing browser is a failure. ``CCSIM_SCREENSHOTS=DIR`` saves the page at each step.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from helpers import app_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             "/usr/bin/chromium") if p and Path(p).exists()), None)
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SHOTS = os.environ.get("CCSIM_SCREENSHOTS")
TIMEOUT = 180_000  # ms: a loaded 2-core machine


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if ON_CI:
            raise
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if CHROMIUM is None:
        if ON_CI:
            pytest.fail("CI is set but no chromium was found: apt-get install -y chromium")
        pytest.skip("no chromium on this machine (apt-get install -y chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def url():
    with app_server(str(ROOT / "scenarios/small_bank.yaml")) as base:
        yield base + "/"


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def answered(page, after: int = 0) -> None:
    """Wait until the page shows a finished run newer than run ``after``."""
    page.wait_for_function(
        "n => { const s = document.getElementById('status').textContent;"
        " return s.startsWith('Answered in') && window.ccsimRun > n; }",
        arg=after, timeout=TIMEOUT)


def scrub(page, to: int | None = None) -> None:
    """Move the floor's scrubber to frame ``to`` (None: the last, closing), as a drag would."""
    page.eval_on_selector("#floor-scrub", "(e, k) => { e.value = k === null ? e.max : k;"
                          " e.dispatchEvent(new Event('input')); }", to)


def field_error(page, field: str):
    """The error shown beside the page field ``field`` (``aht``, ``agents.pool``, ...)."""
    return page.get_by_test_id(f"error-{field}")


def test_trainers_lesson(browser, url, tmp_path):
    """Open, run, pin, one agent fewer, run, compare, play the floor; then bad input."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    agents = page.get_by_test_id("agents")
    agents.wait_for(timeout=TIMEOUT)
    staff = int(agents.input_value())
    assert staff > 1

    page.get_by_test_id("run").click()
    answered(page)
    sl = page.get_by_test_id("kpi-service_level").inner_text()
    assert re.fullmatch(r"\d+\.\d%", sl)
    for kpi in ("asa", "abandon_rate", "occupancy", "fcr", "customer_effort"):
        assert page.get_by_test_id(f"kpi-{kpi}").inner_text() != ""
    page.locator("[data-testid=hockey-stick] svg").wait_for(timeout=TIMEOUT)
    shot(page, "1-first-run")

    page.get_by_test_id("pin").click()
    agents.fill(str(staff - 1))  # typed, not slid
    first = page.evaluate("window.ccsimRun || 0")
    page.get_by_test_id("run").click()
    answered(page, first)
    headline = page.get_by_test_id("headline")
    headline.wait_for(timeout=TIMEOUT)
    assert re.search(r"one agent fewer .*: ASA [\d.]+ s → [\d.]+ s", headline.inner_text())
    row = page.get_by_test_id("compare-asa").inner_text()
    assert "*" in row  # paired: one agent fewer is a significant difference
    # rows by their labels, as the cards (the KPI keys 'service_level', 'asa' were shown)
    assert page.get_by_test_id("compare-service_level").inner_text().startswith(
        "Service level")
    assert page.get_by_test_id("kpi-service_level").inner_text() != sl
    shot(page, "2-compare")

    clock = page.get_by_test_id("floor-clock")
    start = clock.inner_text()
    page.get_by_test_id("floor-speed").select_option("60")
    page.get_by_test_id("floor-play").click(timeout=TIMEOUT)  # enabled once its floor is in
    page.wait_for_function(f"document.querySelector('[data-testid=floor-clock]')"
                           f".textContent !== '{start}'", timeout=30_000)
    page.get_by_test_id("floor-play").click()  # pause
    scrub(page, 300)  # 13:00
    assert clock.inner_text() == "13:00"
    assert page.locator("#seats .seat").count() >= staff - 1
    # a wait for people, not a clock-like '06:27' beside the floor's clock
    assert page.evaluate("[waited(28), waited(387), waited(4020)]") == [
        "28 s", "6 min 27 s", "1 h 07 min"]
    assert all(re.fullmatch(r"(\d+ s|\d+ min \d\d s|\d+ h \d\d min)( callback)?", w)
               for w in page.locator("#waits .wait").all_inner_texts() if "more" not in w)
    shot(page, "3-floor")

    kept = page.get_by_test_id("kpi-service_level").inner_text()
    agents.fill("-3")
    page.get_by_test_id("run").click()
    group = agents.get_attribute("data-group")
    beside = field_error(page, f"agents.{group}")  # under the field typed in
    beside.wait_for(state="visible", timeout=TIMEOUT)
    assert re.fullmatch(rf"agents\.{group}: must be >= \d+.*, got -3", beside.inner_text())
    assert re.search(r"small_bank\.yaml: agents\.\w+.*: must be >= \d+.*, got -3",
                     beside.get_attribute("title"))
    assert page.get_by_test_id("kpi-service_level").inner_text() == kept
    assert page.get_by_test_id("error").is_hidden()  # (beside its field, not above all)

    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\ndays: 0\n")
    page.get_by_test_id("upload").set_input_files(str(bad))
    page.wait_for_function("document.getElementById('error').textContent"
                           ".includes('broken.yaml: days')", timeout=TIMEOUT)
    assert page.get_by_test_id("kpi-service_level").inner_text() == kept
    shot(page, "4-bad-input")
    assert all(u.startswith(url) for u in requests), "the page loads only its own files"
    page.close()


def test_calls_per_hour_typed_is_the_rate_run(browser, url):
    """650 calls an hour typed on the page runs 650/h: the KPIs of ``ccsim run`` with it.

    Before, the page sent the arrival factor rounded to 3 decimals (1.083), so erlang_a ran
    649.8/h and showed other numbers than the CLI for the scenario the trainer asked for.
    """
    import sim

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    page.select_option("#scenario", "erlang_a")
    page.wait_for_function("document.getElementById('source').textContent"
                           ".includes('erlang_a')", timeout=TIMEOUT)
    page.fill("#calls_per_hour", "650")
    page.dispatch_event("#calls_per_hour", "input")
    first = page.evaluate("window.ccsimRun || 0")
    page.get_by_test_id("run").click()
    answered(page, first)
    shot(page, "5-calls-per-hour")
    result = page.evaluate("fetch('/api/state').then(r => r.json())")["result"]
    assert result["overrides"]["contact_types.calls.arrivals.rate"] == "650.0/h"
    cli = sim.run(sim.load_scenario(ROOT / "scenarios/erlang_a.yaml", overrides={
        "days": 1, "contact_types.calls.arrivals.rate": "650/h"}),
        seed=result["seed"], replications=result["replications"])
    assert {k: v["mean"] for k, v in result["kpis"].items() if v["mean"] is not None} == {
        k: pytest.approx(float(cli.summary[k]), rel=1e-12) for k, v in result["kpis"].items()
        if v["mean"] is not None}
    page.close()


@pytest.fixture
def erlang_b():
    """A page of its own (the lesson's server is left on another scenario)."""
    with app_server(str(ROOT / "scenarios/erlang_b.yaml")) as base:
        yield base + "/"


def finished(page, after: int = 0) -> None:
    """Wait until run ``after + 1`` or later is answered, hockey stick and floor included."""
    answered(page, after)
    page.wait_for_function(
        "() => /of (\\d+) points simulated/.test(document.getElementById('hockey-note')"
        ".textContent) && !document.getElementById('status').textContent.includes('Drawing')"
        " && document.getElementById('floor-clock').textContent !== '--:--'", timeout=TIMEOUT)


def run_once(browser, url: str, replications: int = 2, size: tuple[int, int] = (1400, 1000),
             callbacks: bool = False):
    """A new page on ``url`` that has run once, hockey stick and floor in.

    ``size``: the window, width and height; ``callbacks``: with callbacks offered.
    """
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(url)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    page.fill("#replications", str(replications))
    if callbacks:
        page.check("#callbacks")
    page.get_by_test_id("run").click()
    finished(page)
    return page


@pytest.fixture
def bank():
    """A page of its own on small_bank, a scenario with no repeats and no callbacks."""
    with app_server(str(ROOT / "scenarios/small_bank.yaml")) as base:
        yield base + "/"


def test_kpis_the_run_does_not_model_are_left_out(browser, bank):
    """No repeat-rate card or row without `repeat`; the callbacks rows once they are on.

    Before, every scenario showed "Repeat rate 0.0%" (and a callbacks row of 0), which a
    trainer reads as a result; like the report, the page leaves them out and says so.
    """
    page = run_once(browser, bank)
    assert page.get_by_test_id("kpi-service_level").inner_text() != ""
    assert page.get_by_test_id("kpi-repeat_rate").count() == 0
    line = page.get_by_test_id("kpis-left-out").inner_text()
    assert line == ("Not in this scenario (always 0 or –; live_asa = asa): block_rate (no "
                    "lines); repeat_rate (no repeat); self_service_rate (no ivr.self_service); "
                    "live_asa (no callback); complaints (no complaint).")
    assert page.get_by_test_id("kpi-live_asa").count() == 0
    page.get_by_test_id("pin").click()
    page.get_by_test_id("callbacks").check()
    first = page.evaluate("window.ccsimRun || 0")
    page.get_by_test_id("run").click()
    answered(page, first)
    page.get_by_test_id("compare-callbacks").wait_for(timeout=TIMEOUT)
    assert page.get_by_test_id("compare-asa").count() == 1
    assert page.get_by_test_id("compare-repeat_rate").count() == 0
    assert page.get_by_test_id("kpi-live_asa").count() == 1  # callers on the line: their ASA
    assert page.get_by_test_id("compare-live_asa").count() == 1
    assert page.get_by_test_id("compare-left-out").inner_text() == (
        "Not in either run (always 0 or –): blocked, block_rate (no lines); repeat_rate (no "
        "repeat); self_service_rate (no ivr.self_service); complaints (no complaint).")
    shot(page, "5b-left-out")
    page.close()


def test_opening_a_scenario_clears_the_last_ones_answers(browser, erlang_b, tmp_path):
    """Reopening the scenario open, or opening another, leaves nothing of the last run.

    Before, the floor (its clock, seats and KPIs so far) and the hockey stick's note
    ("7 of 7 points simulated") stayed under a scenario that had not been run, and
    reopening the same file kept the agents typed for the old run.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(erlang_b)
    mine = tmp_path / "erlang_b.yaml"
    mine.write_text((ROOT / "scenarios/erlang_b.yaml").read_text())
    page.get_by_test_id("upload").set_input_files(str(mine))
    page.wait_for_function("document.getElementById('source').textContent"
                           ".startsWith('erlang_b.yaml')", timeout=TIMEOUT)
    agents = page.get_by_test_id("agents")
    staff = agents.input_value()
    agents.fill(str(int(staff) + 1))
    page.fill("#replications", "2")
    page.get_by_test_id("run").click()
    finished(page)
    shot(page, "6-before-reopening")

    def cleared() -> None:
        page.wait_for_function("document.querySelector('#kpis .empty') !== null",
                               timeout=TIMEOUT)
        assert page.get_by_test_id("floor-clock").inner_text() == "--:--"
        assert page.locator("#seats .seat").count() == 0
        assert page.get_by_test_id("floor-kpis").inner_text() == ""
        assert page.locator("#hockey-note").inner_text() == ""
        assert page.locator("[data-testid=hockey-stick] svg").count() == 0
        assert page.get_by_test_id("floor-play").is_disabled()

    page.get_by_test_id("upload").set_input_files(str(mine))  # the same file again
    cleared()
    assert agents.input_value() == staff  # the scenario's own, not the one typed
    shot(page, "7-reopened")

    first = page.evaluate("window.ccsimRun || 0")
    page.get_by_test_id("run").click()
    finished(page, first)
    page.select_option("#scenario", "erlang_c")
    page.wait_for_function("document.getElementById('source').textContent"
                           ".includes('erlang_c')", timeout=TIMEOUT)
    cleared()
    shot(page, "8-switched")
    page.close()


def test_valid_run_clears_a_refused_settings_line(browser, erlang_b):
    """The error of a refused setting goes as soon as a valid run is accepted.

    Before, it stayed on screen while the new run was queued and simulated.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(erlang_b)
    agents = page.get_by_test_id("agents")
    agents.wait_for(timeout=TIMEOUT)
    staff = agents.input_value()
    agents.fill("-3")
    page.get_by_test_id("run").click()
    field_error(page, "agents.pool").wait_for(state="visible", timeout=TIMEOUT)
    shot(page, "9-refused")
    agents.fill(staff)
    page.fill("#replications", "200")  # long enough to be seen under way
    page.get_by_test_id("run").click()
    page.wait_for_function(
        "() => document.getElementById('error').hidden && !document.querySelector("
        "'.field-error') && !document.getElementById('status')"
        ".textContent.startsWith('Answered')", timeout=30_000)
    shot(page, "10-accepted")
    page.close()


def test_a_late_answer_does_not_bring_back_what_was_replaced(browser, erlang_b):
    """A poll answered after an Open is not shown: the page keeps the scenario opened.

    Before, the page showed every answer as it came: a poll sent before the Open and
    answered after it put the old scenario's controls and result back (and counted its
    result as a new run, which misled scripts waiting for a run to finish).
    """
    page = run_once(browser, erlang_b)
    held = []

    def hold(route):  # answer the next poll with the state of now, but only later
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.route(re.compile(r".*/api/state$"), hold)
    deadline = 200
    while not held and deadline:
        page.wait_for_timeout(50)
        deadline -= 1
    assert held, "the page stopped polling"
    page.select_option("#scenario", "erlang_c")
    page.wait_for_function("document.getElementById('source').textContent"
                           ".includes('erlang_c')", timeout=TIMEOUT)
    runs = page.evaluate("window.ccsimRun")
    route, answer = held[0]
    route.fulfill(response=answer)  # erlang_b's state, with its result
    page.wait_for_timeout(500)
    assert "erlang_c" in page.get_by_test_id("source").inner_text()
    assert page.locator("#kpis .empty").count() == 1
    assert page.evaluate("window.ccsimRun") == runs
    shot(page, "11-late-answer")
    page.close()


def test_huge_handle_time_is_one_line_on_its_control(browser):
    """An AHT of 1e300 s typed is refused in one line naming it; no run starts.

    Before, the run's result showed, then the Erlang A curve failed with "internal error:
    float division by zero" (and a traceback in the terminal).
    """
    with app_server(str(ROOT / "scenarios/erlang_a.yaml")) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + "/")
        page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
        page.fill("#aht", "1e300")
        page.get_by_test_id("run").click()
        error = field_error(page, "aht")
        error.wait_for(state="visible", timeout=TIMEOUT)
        assert re.fullmatch(r"\S*erlang_a\.yaml: aht: must be <= 600,000 s \(600 calls "
                            r"an hour x this handle time is more Erlangs than the limit of "
                            r"[\d,]+ agents could answer; set CCSIM_MAX_AGENTS to raise the "
                            r"limit\), got 1e\+300", error.get_attribute("title"))
        page.wait_for_timeout(1000)  # nothing runs: no answer, no later error
        assert page.locator("#kpis .empty").count() == 1
        assert page.get_by_test_id("status").inner_text() == ""
        assert error.get_attribute("title").count("\n") == 0
        assert page.get_by_test_id("error").is_hidden()
        shot(page, "12-huge-aht")
        page.close()


def test_play_looks_disabled_until_there_is_a_floor(browser, erlang_b):
    """Disabled, Play looks it (grey, no pointer); once a run's floor is in, it is blue.

    Before, the disabled Play button was drawn exactly as the enabled one, so a trainer
    pressed it before any run, to no effect.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(erlang_b)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    play = page.get_by_test_id("floor-play")
    look = ("el => { const s = getComputedStyle(el);"
            " return {background: s.backgroundColor, colour: s.color, cursor: s.cursor}; }")
    assert play.is_disabled()
    disabled = play.evaluate(look)
    shot(page, "13-play-disabled")
    page.fill("#replications", "2")
    page.get_by_test_id("run").click()
    finished(page)
    assert play.is_enabled()
    enabled = play.evaluate(look)
    shot(page, "14-play-enabled")
    assert enabled == page.get_by_test_id("run").evaluate(look)  # the page's own button
    assert disabled["background"] != enabled["background"]
    assert disabled["colour"] != enabled["colour"]
    assert (disabled["cursor"], enabled["cursor"]) == ("not-allowed", "pointer")
    page.close()


def test_pin_is_disabled_until_there_is_a_result(browser, erlang_b):
    """Pin as "before" is disabled (and looks it) until a run has answered.

    Before, it looked enabled on a fresh page and a press only brought the line "pin: run
    a simulation first".
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(erlang_b)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    pin = page.get_by_test_id("pin")
    cursor = "el => getComputedStyle(el).cursor"
    assert pin.is_disabled() and pin.evaluate(cursor) == "not-allowed"
    shot(page, "17-pin-disabled")
    page.fill("#replications", "2")
    page.get_by_test_id("run").click()
    finished(page)
    assert pin.is_enabled() and pin.evaluate(cursor) == "pointer"
    shot(page, "18-pin-enabled")
    page.close()


def test_refused_input_shows_its_line(browser, erlang_b):
    """Refused (422, 409) the page still shows the one line why, and keeps the result.

    A handle time and an arrival factor both absurd are named each with a limit against
    the scenario's other (before: "aht: must be <= 6e-295 s").
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(erlang_b)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    error = page.get_by_test_id("error")
    assert page.get_by_test_id("pin").is_disabled()  # nothing to pin yet
    page.evaluate("post('/api/pin')")  # asked all the same (a script): 409, one line
    error.wait_for(state="visible", timeout=TIMEOUT)
    assert error.inner_text() == "pin: run a simulation first"
    shot(page, "15-pin-refused")
    page.fill("#replications", "2")
    page.get_by_test_id("run").click()
    finished(page)
    kept = page.get_by_test_id("kpi-service_level").inner_text()
    page.fill("#aht", "1e300")
    page.fill("#arrival_factor", "1e300")
    page.dispatch_event("#arrival_factor", "input")
    page.get_by_test_id("run").click()
    field_error(page, "aht").wait_for(state="visible", timeout=TIMEOUT)
    lines = [field_error(page, f).get_attribute("title") for f in ("arrival_factor", "aht")]
    assert [line.split(": ")[1] for line in lines] == ["arrival_factor", "aht"]
    assert all("e-" not in line for line in lines), lines  # no limit of 6e-295 s
    assert page.get_by_test_id("kpi-service_level").inner_text() == kept
    shot(page, "16-huge-aht-and-factor")
    page.close()


def test_a_reloaded_page_shows_the_settings_of_the_result_it_shows(browser, bank):
    """After a reload (or on a second screen), the controls are those of the result shown.

    Before, a reload filled them with the scenario's defaults beside a result run with
    other settings: a trainer pressing Run again reran the defaults, not what was shown.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(bank)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    page.fill("#agents", "20")
    page.fill("#arrival_factor", "1.2")
    page.check("#callbacks")
    page.fill("#replications", "2")
    page.get_by_test_id("run").click()
    finished(page)
    page.reload()
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    assert page.input_value("#agents") == "20"
    assert float(page.input_value("#arrival_factor")) == 1.2
    assert page.is_checked("#callbacks")
    assert page.input_value("#replications") == "2"
    shot(page, "19-reloaded")
    page.close()


def test_floor_seats_count_what_the_engine_saw(browser):
    """The floor's seats at 12:00 and 16:00: busy (talking + after-call work), on duty.

    wrap_up.yaml: the header's "N busy of M on duty" and its busy seats (talking, on hold,
    after-call work) against the engine's live one-minute trace of busy agents and the
    staffing log; a run of the page's seed, replication 1, one day.
    """
    from sim.loader import load_scenario
    from sim.replicate import run

    path = ROOT / "scenarios/wrap_up.yaml"
    result = run(load_scenario(path, overrides={"days": 1}), replications=1,
                 trace_every=60.0)
    trace, staff = result.traces[0].set_index("time"), result.staff
    with app_server(str(path)) as base:
        page = run_once(browser, base + "/", replications=1)
        for frame, clock in ((240, "12:00"), (480, "16:00")):  # a frame a minute from 08:00
            scrub(page, frame)
            assert page.get_by_test_id("floor-clock").text_content() == clock
            t = 8 * 3600 + 60 * frame
            heads = page.locator("#seats .group-name").all_text_contents()
            rows = page.locator("#seats .seatrow").all()
            for head, row in zip(heads, rows, strict=True):
                group, busy, duty = re.fullmatch(r"(\w+): (\d+) busy of (\d+) on duty",
                                                 head).groups()
                assert int(busy) == trace.at[t, f"busy.{group}"], (clock, head)
                log = staff[(staff["group"] == group) & (staff["time"] <= t)]
                assert int(duty) == log.sort_values("time")["agents"].iloc[-1], (clock, head)
                seats = {kind: row.locator(f".seat.{kind}").count()
                         for kind in ("talk", "hold", "wrap")}
                assert sum(seats.values()) == int(busy), (clock, head, seats)
            shot(page, f"20-floor-{clock.replace(':', '')}")
        page.close()


def test_an_emptied_calls_per_hour_is_refused_not_zero_calls(browser):
    """An emptied calls-per-hour field is one line naming it, and no run.

    It ran a day with no calls (``Number("")`` is 0): found by an outside check of the page.
    """
    with app_server(str(ROOT / "scenarios/erlang_a.yaml")) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base + "/")
        page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
        page.fill("#calls_per_hour", "")
        page.dispatch_event("#calls_per_hour", "input")
        page.get_by_test_id("run").click()
        error = field_error(page, "calls_per_hour")
        error.wait_for(state="visible", timeout=TIMEOUT)
        assert error.inner_text() == "calls_per_hour: must be a number, got ''", (
            error.inner_text())
        page.wait_for_timeout(1000)  # nothing runs
        assert page.locator("#kpis .empty").count() == 1
        shot(page, "13-empty-calls-per-hour")
        page.close()


def test_long_waits_read_on_one_line(browser):
    """A long wait is one line: on the floor ("1 h 07 min callback"), on a card ("3,074 s").

    Found by an outside check of the page: on storm_surge with callbacks at 12:00, at a
    1280- or 1400-pixel window, "callback" wrapped onto a second line inside the 13-pixel
    row and was drawn over the next caller's wait, so the list could not be read; with
    eight cards the ASA card read "3,074" over "s".
    """
    with app_server(str(ROOT / "scenarios/storm_surge.yaml")) as base:
        page = run_once(browser, base + "/", replications=1, size=(1280, 720), callbacks=True)
        scrub(page, 240)  # 12:00
        assert page.get_by_test_id("floor-clock").text_content() == "12:00"
        called = page.locator("#waits .wait.called")
        assert called.count() > 5 and " h " in called.first.inner_text()
        shot(page, "21-callback-waits")
        wrapped = page.eval_on_selector_all(
            "#waits .wait", "rows => rows.filter(r => r.scrollHeight > r.clientHeight + 1)"
            ".map(r => r.textContent)")
        assert wrapped == []
        assert page.locator(".kpi").count() == 8  # (busy signals and the live queue's ASA)
        lines = page.eval_on_selector_all(".kpi .value", """els => els.filter(el => {
            const line = parseFloat(getComputedStyle(el).lineHeight) || 1.2 * parseFloat(
                getComputedStyle(el).fontSize);
            return el.getClientRects()[0].height > 1.5 * line
                || el.scrollWidth > el.clientWidth; }).map(el => el.textContent)""")
        assert lines == []
        scrub(page)  # closing: 1,8xx
        assert re.search(r"answered \d,\d{3}\n", page.get_by_test_id("floor-kpis").inner_text())
        page.close()


@pytest.mark.parametrize(("field", "typed", "named"), [
    ("#arrival_factor", "1,5", "arrival_factor"),
    ("#aht", "12,5", "aht"),
    ("#agents", "12,5", "agents.pool"),
    ("#patience", "abc", "patience")])
def test_a_decimal_comma_or_letters_typed_are_refused_as_typed(browser, erlang_b, field,
                                                               typed, named):
    """What is typed is what is read: "1,5" is one line naming it, not 15 times the calls.

    Found by an outside check of the page: the number fields dropped a comma typed in
    them (Chromium, English), so "1,5" arrivals ran 15 times the calls, "12,5" agents ran
    125, with no word; letters typed as a patience left it empty: nobody hung up.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(erlang_b)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    page.click(field, click_count=3)
    page.keyboard.press("Backspace")
    page.keyboard.type(typed)  # keys, as a trainer types them
    assert page.input_value(field) == typed
    page.get_by_test_id("run").click()
    error = field_error(page, named)
    error.wait_for(state="visible", timeout=TIMEOUT)
    assert re.fullmatch(rf"\S*erlang_b\.yaml: {re.escape(named)}: must be a (whole )?number"
                        rf".*, got '{re.escape(typed)}'", error.get_attribute("title"))
    page.wait_for_timeout(500)  # nothing runs
    assert page.locator("#kpis .empty").count() == 1
    shot(page, f"22-typed-{named}")
    page.close()


def test_arrow_keys_step_the_fields(browser, erlang_b):
    """The fields are text (what is typed is sent), and the arrow keys still step them."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(erlang_b)
    agents = page.get_by_test_id("agents")
    agents.wait_for(timeout=TIMEOUT)
    staff = int(agents.input_value())
    agents.press("ArrowUp")
    assert agents.input_value() == str(staff + 1)
    assert page.input_value("[data-slider=pool]") == str(staff + 1)  # the slider follows
    rate = float(page.input_value("#calls_per_hour"))
    page.press("#arrival_factor", "ArrowDown")
    assert page.input_value("#arrival_factor") == "0.95"
    assert page.input_value("#calls_per_hour") == str(round(0.95 * rate))
    page.close()


def test_placeholders_and_headline_read_as_words(browser, erlang_b):
    """Each empty field's placeholder fits its box; the headline says a switch is on or off.

    Found by an outside check of the page: the patience field of a scenario where nobody
    hangs up read "never hang" (its placeholder cut by the box), and ticking callbacks
    gave the headline "callbacks false → true".
    """
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(erlang_b)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    cut = page.eval_on_selector_all("#controls input[placeholder]", """els => els.filter(el => {
        const s = getComputedStyle(el), c = document.createElement('canvas').getContext('2d');
        c.font = `${s.fontSize} ${s.fontFamily}`;
        const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
        return c.measureText(el.placeholder).width > room; }).map(el => el.placeholder)""")
    assert cut == []
    assert page.evaluate("describe({callbacks: [false, true]})") == "callbacks off → on"
    page.close()


def test_a_comparison_refused_shows_no_empty_table(browser, erlang_b):
    """Pinned with 2 replications, run with 3: the line why, and no table of no rows."""
    page = run_once(browser, erlang_b)
    page.get_by_test_id("pin").click()
    page.fill("#replications", "3")
    first = page.evaluate("window.ccsimRun || 0")
    page.get_by_test_id("run").click()
    answered(page, first)
    assert page.get_by_test_id("headline").inner_text().startswith(
        "“Before” ran 2 replications, now 3")
    assert not page.locator("#compare table").is_visible()
    shot(page, "23-compare-refused")
    page.close()


def test_numbers_read_as_the_cli_writes_them(browser, erlang_b):
    """Counts and long times with thousands separators, a half-width as precise as its value.

    Found by an outside check of the page: before/after read "Offered 13183, Answered
    12584.8" where ``ccsim run`` prints 13,183 and 12,584.8, and storm_surge with callbacks
    "ASA 3132 s, +3028 s ± 566.2 s" (a tenth of a second on a value shown to the second).
    """
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(erlang_b)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    assert page.evaluate("[fmt(12584.8, 'n'), fmt(13183, 'n'), fmt(-1816.2, 'n'),"
                         " fmt(3131.6, 's'), fmt(-102.3, 's'), fmt(7.49, 's'),"
                         " fmt(12161.678, 'money'), fmt(0.8086, 'pct')]") == [
        "12,584.8", "13,183", "-1,816.2", "3,132 s", "-102 s", "7.5 s", "12,161.68", "80.9%"]
    assert page.evaluate("[fmtCi(566.2, 's'), fmtCi(4.93, 's'), fmtCi(1520.2, 'n'),"
                         " fmtCi(0.033, 'pct')]") == [
        "± 566 s", "± 4.9 s", "± 1,520.2", "± 3.3 pts"]
    page.close()


def test_one_replication_is_said_in_the_singular(browser, erlang_b):
    """The status line read "Answered in 0.13 s (1 replications, seed 21)."."""
    page = run_once(browser, erlang_b)
    assert re.search(r"\(2 replications, seed \d+\)\.$",
                     page.get_by_test_id("status").inner_text())
    page.fill("#replications", "1")
    first = page.evaluate("window.ccsimRun || 0")
    page.get_by_test_id("run").click()
    answered(page, first)
    assert re.search(r"\(1 replication, seed \d+\)\.$",
                     page.get_by_test_id("status").inner_text())
    page.close()


def test_complaints_are_a_card_and_a_row_where_the_scenario_has_them(browser):
    """social_backlash: a Complaints card, and a before/after row with 4 more phone agents.

    Found by an outside check of the page: the scenario that exists to show customers
    posting public complaints showed no number of them.
    """
    with app_server(str(ROOT / "scenarios/social_backlash.yaml")) as base:
        page = run_once(browser, base + "/")
        card = page.get_by_test_id("kpi-complaints")
        assert re.fullmatch(r"\d[\d,]*(\.\d)?", card.inner_text())
        assert "complaints" not in page.get_by_test_id("kpis-left-out").inner_text()
        # and on the floor, as they are posted (before, only the cards counted them)
        scrub(page)  # closing
        floor = page.evaluate("floor.frames[floor.frames.length - 1].complaints")
        assert floor > 20
        assert f"\ncomplaints {floor:,}\n" in page.get_by_test_id("floor-kpis").inner_text()
        page.get_by_test_id("pin").click()
        page.get_by_test_id("agents").fill("30")
        first = page.evaluate("window.ccsimRun || 0")
        page.get_by_test_id("run").click()
        answered(page, first)
        row = page.get_by_test_id("compare-complaints")
        row.wait_for(timeout=TIMEOUT)
        assert row.inner_text().startswith("Complaints")
        shot(page, "24-complaints")
        page.close()


def test_the_floor_says_no_abandoned_where_nobody_hangs_up(browser, erlang_b):
    """erlang_b (no patience): the floor's "so far today" has no "abandoned 0".

    Found by an outside check of the page: it did, while the cards left the abandon rate
    out as not in the scenario; erlang_b's callers lost are its busy signals.
    """
    page = run_once(browser, erlang_b)
    scrub(page)  # closing
    so_far = page.get_by_test_id("floor-kpis").inner_text()
    assert "abandon_rate (no patience)" in page.get_by_test_id("kpis-left-out").inner_text()
    assert "abandoned" not in so_far and "complaints" not in so_far  # (no `complaint`)
    assert re.search(r"answered [\d,]+\nblocked [1-9][\d,]*\n", so_far), so_far
    shot(page, "25-floor-no-abandoned")
    page.close()


def test_the_headline_reads_in_words_and_minutes(browser):
    """speed_vs_resolution, capped at 5 minutes: "handle-time cap 24 h → 5 min: ASA ...".

    Found by an outside check of the page: the headline read "handle cap 86400 → 300:
    ASA 3,132 s → ...", setting keys and seconds, where the rest of the page says
    "6 min 27 s" and names its controls in words.
    """
    assert_words = [
        ("describe({handle_cap: [86400, 300]})", "handle-time cap 24 h → 5 min"),
        ("describe({handle_cap: [null, 90]})", "handle-time cap none → 1 min 30 s"),
        ("describe({aht: [336.7, 400]})", "handle time 5 min 37 s → 6 min 40 s"),
        ("describe({aht: [300.2, 300.4]})", "handle time 300.2 s → 300.4 s"),  # (as typed)
        ("describe({patience: [180, null]})", "patience 3 min → never"),
        ("describe({arrival_factor: [1, 1.0833333333]})", "arrivals ×1 → ×1.083"),
        ("describe({callbacks: [false, true]})", "callbacks off → on"),
        ("[duration(7.49), duration(3131.6), duration(5400), duration(86400)]",
         ["7.5 s", "52 min 12 s", "1 h 30 min", "24 h"])]
    with app_server(str(ROOT / "scenarios/speed_vs_resolution.yaml")) as base:
        page = run_once(browser, base + "/")
        for script, words in assert_words:
            assert page.evaluate(script) == words, script
        page.get_by_test_id("pin").click()
        page.fill("#handle_cap", "300")
        first = page.evaluate("window.ccsimRun || 0")
        page.get_by_test_id("run").click()
        answered(page, first)
        headline = page.get_by_test_id("headline").inner_text()
        assert re.fullmatch(r"handle-time cap 24 h → 5 min: ASA (\d+ min \d\d s|[\d.]+ s|\d+ "
                            r"min) → (\d+ min \d\d s|[\d.]+ s|\d+ min)", headline), headline
        shot(page, "26-headline-in-words")
        page.close()


def test_self_service_is_a_share_per_contact_type(browser):
    """self_service_shift: a field per type with an IVR; 30% for the simple ones only.

    Found by an outside check of the page: one "Self-service share" field set every IVR
    type's share, the complex calls' too, where the scenario's lesson (and its variant)
    moves only the simple issues to the menu; neither the field nor the headline said so.
    """
    with app_server(str(ROOT / "scenarios/self_service_shift.yaml")) as base:
        page = run_once(browser, base + "/")
        simple = page.get_by_test_id("self_service-simple")
        assert simple.input_value() == "0"
        assert page.get_by_test_id("self_service-complex").input_value() == "0"
        label = page.locator("label", has=simple)
        assert label.inner_text().strip() == "Self-service: simple"
        assert "contact_types.simple.ivr.self_service" in label.get_attribute("title")
        page.get_by_test_id("pin").click()
        simple.fill("0.3")
        first = page.evaluate("window.ccsimRun || 0")
        page.get_by_test_id("run").click()
        answered(page, first)
        state = page.evaluate("fetch('/api/state').then(r => r.json())")
        assert state["result"]["overrides"] == {
            "days": 1, "contact_types.simple.ivr.self_service": 0.3}
        assert page.get_by_test_id("headline").inner_text().startswith(
            "self-service share (simple) 0.0% → 30.0%: ASA ")
        shot(page, "27-self-service-per-type")
        page.close()


def test_a_type_or_group_named_like_a_javascript_key_is_sent(browser, tmp_path):
    """A contact type and an agent group named ``__proto__`` (a valid name): typed, sent.

    Found by a review of 695b4f6: the page gathered the fields into ``{}``, where
    ``shares["__proto__"] = "0.3"`` sets nothing, so the share typed was never sent (the
    run kept the scenario's 10% and the headline said nothing changed); the agents field
    the same.
    """
    yaml = tmp_path / "proto.yaml"
    yaml.write_text(
        'name: JS-special names\nseed: 1\ndays: 1\nopen: "08:00"\nclose: "10:00"\n'
        "interval: 1h\nservice_level: {threshold: 20s, target: 0.80}\ncontact_types:\n"
        "  __proto__:\n    arrivals: {rate: 60/h}\n    handle: {dist: exponential, mean: 3m}\n"
        "    ivr:\n      time: {dist: uniform, low: 30s, high: 90s}\n      self_service: 0.1\n"
        "agents:\n  __proto__:\n    skills: [__proto__]\n    staff: 5\n")
    with app_server(str(yaml)) as base:
        page = run_once(browser, base + "/")
        page.get_by_test_id("pin").click()
        page.get_by_test_id("self_service-__proto__").fill("0.3")
        page.get_by_test_id("agents").fill("6")
        first = page.evaluate("window.ccsimRun || 0")
        page.get_by_test_id("run").click()
        answered(page, first)
        state = page.evaluate("fetch('/api/state').then(r => r.json())")
        assert state["result"]["overrides"] == {
            "days": 1, "agents.__proto__.staff": 6,
            "contact_types.__proto__.ivr.self_service": 0.3}
        assert page.get_by_test_id("headline").inner_text().startswith(
            "one agent more (__proto__), self-service share (__proto__) 10.0% → 30.0%: ASA ")
        page.close()


def test_the_headline_at_the_edges_of_its_units(browser, bank):
    """59.96 s reads "1 min", as 60 s does; a share changed under 0.1% reads as typed.

    (As a time changed by less than its unit does: "handle time 300.2 s → 300.4 s".)

    Found by a review of 0d944c8 and 695b4f6: an ASA of 59.96 s read "60.0 s" beside
    "1 min" for 60 s, and a share 0.3 -> 0.3004 read "30.0% → 30.0%".
    """
    page = browser.new_page()
    page.goto(bank)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    for script, words in [
            ("[duration(59.94), duration(59.96), duration(60), duration(0), duration(0.4)]",
             ["59.9 s", "1 min", "1 min", "0.0 s", "0.4 s"]),
            ("describe({aht: [59.96, 60]})", "handle time 59.96 s → 60 s"),
            ("describe({self_service: [{simple: 0.3, complex: 0}, {simple: 0.3004, complex: 0}]})",
             "self-service share (simple) 0.3 → 0.3004")]:
        assert page.evaluate(script) == words, script
    page.close()


def test_a_refused_setting_is_shown_beside_its_field(browser, bank, tmp_path):
    """Two fields wrong: each line under its own field, and no banner; a file's line: banner.

    Before, every refusal was a banner above the page in paths ("small_bank.yaml:
    agents.billing_team: ..."), and the trainer looked for the fields it meant.
    """
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(bank)
    page.get_by_test_id("agents").wait_for(timeout=TIMEOUT)
    page.fill("#agents", "7")
    page.fill("#aht", "abc")
    page.get_by_test_id("run").click()
    aht, agents = field_error(page, "aht"), field_error(page, "agents.billing_team")
    aht.wait_for(state="visible", timeout=TIMEOUT)
    assert aht.inner_text() == "aht: must be a number, got 'abc'"
    assert agents.inner_text().startswith("agents.billing_team: must be >= 16 (")
    assert aht.get_attribute("title").endswith("small_bank.yaml: aht: must be a number, got 'abc'")
    assert page.get_by_test_id("error").is_hidden()
    for field, box in (("#aht", aht), ("#agents", agents)):  # right under its field
        typed, said = page.locator(field).bounding_box(), box.bounding_box()
        assert 0 <= said["y"] - (typed["y"] + typed["height"]) < 40, field
        assert page.locator(field).get_attribute("aria-invalid") == "true"
    assert page.locator("#arrival_factor").get_attribute("aria-invalid") is None
    shot(page, "28-errors-beside-fields-1280")
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "28-errors-beside-fields-1920")

    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\ndays: 0\n")
    page.get_by_test_id("upload").set_input_files(str(bad))  # a file's days: not the field
    page.wait_for_function("document.getElementById('error').textContent"
                           ".includes('broken.yaml: days')", timeout=TIMEOUT)
    assert field_error(page, "days").count() == 0 and aht.count() == 0
    page.fill("#agents", "20")
    page.fill("#aht", "300")
    page.fill("#replications", "1")
    page.get_by_test_id("run").click()
    answered(page)
    assert page.locator(".field-error").count() == 0
    assert page.get_by_test_id("error").is_hidden()
    page.close()


def test_callers_on_the_line_read_beside_long_callbacks(browser):
    """storm_surge with callbacks at 12:00: each kind of wait is drawn to its own scale.

    Found by the last session on the page: the bars shared one scale, so beside callbacks
    awaited for over an hour, the callers on the line (up to 6 minutes, late at 30 s)
    shrank to dots: the queue a trainer talks about could not be read. The longest of
    each kind now spans the same width, and the two kinds are headed apart.
    """
    with app_server(str(ROOT / "scenarios/storm_surge.yaml")) as base:
        page = run_once(browser, base + "/", replications=1, size=(1920, 1080), callbacks=True)
        scrub(page, 240)  # 12:00
        bars = page.eval_on_selector_all(
            "#waits .wait:has(.bar)", "rows => rows.map(r => [r.classList.contains('called'),"
            " r.querySelector('.bar').getBoundingClientRect().width, r.textContent])")
        line = [w for called, w, _ in bars if not called]
        called = [w for called, w, _ in bars if called]
        assert len(line) > 3 and len(called) > 3, bars
        assert min(line[0], called[0]) >= 0.8 * max(line[0], called[0]), bars  # both read
        assert line == sorted(line, reverse=True) and called == sorted(called, reverse=True)
        texts = page.locator("#waits").inner_text()
        assert re.search(r"on the line.*\n(.*\n)*.*awaiting a callback", texts), texts
        shot(page, "29-line-and-callbacks-1920")
        page.set_viewport_size({"width": 1280, "height": 720})
        shot(page, "29-line-and-callbacks-1280")
        page.close()


def in_view(page, selector: str) -> list[str]:
    """Of the elements ``selector`` finds, those not wholly inside the window unscrolled."""
    return page.eval_on_selector_all(selector, """els => els.filter(el => {
        const r = el.getBoundingClientRect();
        return window.scrollY !== 0 || r.top < 0 || r.bottom > window.innerHeight
            || r.right > window.innerWidth || r.height === 0; })
        .map(el => `${el.dataset.testid || el.id || el.className} ${
            el.getBoundingClientRect().bottom}`)""")


def tallest_frame(page) -> None:
    """Scrub the floor to the moment it is drawn tallest (the longest lists of waits)."""
    page.evaluate("""() => { const box = document.getElementById('floor'), heights = [];
        for (frame = 0; frame < floor.frames.length; frame++) {
            drawFloor(); heights.push(box.getBoundingClientRect().height); }
        const el = document.getElementById('floor-scrub');
        el.value = heights.indexOf(Math.max(...heights));
        el.dispatchEvent(new Event('input')); }""")


@pytest.mark.parametrize("name", ["small_bank", "storm_surge"])
def test_a_projected_page_shows_the_answers_and_the_floor(browser, name):
    """At 1920x1080 the cards, the before/after and the floor; at 1280x720 the cards.

    Found by the last session on the page: below the cards and the before/after, the
    hockey stick filled the screen and the floor started below the fold at both sizes,
    so a trainer projecting the page scrolled away from the controls' effect to show
    the day. The floor is measured at its tallest moment (the longest lists of waits);
    storm_surge with callbacks lists both kinds of wait.
    """
    with app_server(str(ROOT / f"scenarios/{name}.yaml")) as base:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(base + "/")
        agents = page.get_by_test_id("agents")
        agents.wait_for(timeout=TIMEOUT)
        page.fill("#replications", "2")
        if name == "storm_surge":
            page.check("#callbacks")
        page.get_by_test_id("run").click()
        finished(page)
        page.get_by_test_id("pin").click()
        agents.fill(str(int(agents.input_value()) - 1))
        first = page.evaluate("window.ccsimRun || 0")
        page.get_by_test_id("run").click()
        finished(page, first)
        tallest_frame(page)
        assert in_view(page, ".kpi, #headline, #compare, #floor, #seats .seatrow, #waits .wait,"
                             " #sofar div, #run") == []
        shot(page, f"30-projected-{name}-1920")
        page.set_viewport_size({"width": 1280, "height": 720})
        assert in_view(page, ".kpi, #headline, #run") == []
        shot(page, f"30-projected-{name}-1280")
        page.close()
