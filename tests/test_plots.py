"""Plots: every figure draws from small results, with and without journey columns."""

import dataclasses
import re
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

import sim
from sim import erlang, plots
from sim.compare import compare, variant_scenarios
from sim.kpis import format_kpi
from sim.plots.service import MOST_TIME_LABELS
from sim.report import render_png

SMALL = {
    "name": "small",
    "seed": 5,
    "days": 1,
    "open": "08:00",
    "close": "11:00",
    "interval": "30m",
    "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {
        "billing": {"arrivals": {"rate": "90/h"}, "handle": {"dist": "exponential", "mean": "4m"},
                    "patience": {"dist": "exponential", "mean": "3m"}, "resolution": 0.8},
        "cards": {"arrivals": {"per_interval": [10, 20, 30, 30, 20, 10]},
                  "handle": {"dist": "exponential", "mean": "5m"}, "resolution": 0.6},
    },
    "agents": {
        "team": {"skills": ["billing"], "staff": 6},
        "generalists": {"skills": ["billing", "cards"], "staff": [3, 4, 5, 5, 4, 3]},
    },
    "variants": {"more": {"agents.team.staff": 8}},
}
JOURNEY_COLUMNS = ["origin", "self_served", "hold", "transfers", "attempt", "callback"]
PNG = b"\x89PNG\r\n\x1a\n"
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def scenario():
    return sim.scenario_from_dict(SMALL)


@pytest.fixture(scope="module")
def runs(scenario):
    return compare(variant_scenarios(scenario), replications=2, trace_every=60.0).results


@pytest.fixture(scope="module")
def result(runs):
    return runs["baseline"]


def without_journeys(result):
    """The result as it looked before journeys existed (no journey columns, no issues)."""
    contacts = result.contacts.drop(columns=[c for c in JOURNEY_COLUMNS if c in result.contacts])
    out = dataclasses.replace(result, contacts=contacts)
    if hasattr(out, "issues"):
        out.issues = None
    return out


def with_fake_journeys(result):
    """Every fourth contact a repeat, some self-served, transferred or held."""
    c = result.contacts.copy()
    n = len(c)
    i = np.arange(n)
    c["origin"] = pd.Categorical(np.where(i % 4 == 3, "repeat", "first"),
                                 ["first", "retrial", "repeat"])
    c["self_served"] = i % 10 == 0
    for flag in ("answered", "abandoned", "blocked", "resolved"):
        c.loc[c["self_served"], flag] = False
    c["transfers"] = np.where(c["answered"] & (i % 5 == 1), 1, 0)
    c["hold"] = np.where(c["answered"] & (i % 7 == 2), 45.0, 0.0)
    c["callback"] = c["answered"] & (i % 9 == 4)
    c["issue_id"] = np.where(i % 4 == 3, i - 1, i)  # a repeat shares its issue
    return dataclasses.replace(result, contacts=c)


def labels(fig: Figure) -> list[str]:
    return [ax.get_ylabel() for ax in fig.axes if ax.get_visible() and ax.get_ylabel()]


def assert_draws(fig: Figure) -> bytes:
    """The figure renders to PNG at A4 width with labelled axes."""
    assert isinstance(fig, Figure)
    assert fig.get_figwidth() == pytest.approx(plots.A4_WIDTH)
    png = render_png(fig, dpi=60)
    assert png.startswith(PNG)
    return png


class TestWaitCdf:
    def test_draws_per_variant(self, runs):
        """One curve per variant plus one per contact type, threshold and target marked."""
        fig = plots.wait_cdf(runs)
        assert_draws(fig)
        left, right = fig.axes
        names = [line.get_label() for line in left.get_lines()]
        assert {"baseline", "more", "threshold 20s", "target 80%"} <= set(names)
        assert {"billing", "cards"} <= {line.get_label().split(":")[0]
                                        for line in right.get_lines()}
        assert "(s)" in left.get_xlabel() or left.get_xscale() == "log"
        assert "%" in left.get_ylabel()

    def test_legends_hide_no_curve(self, runs, result):
        """No legend box covers a point of a curve, in either panel.

        The legends sat inside the panels (``loc="best"``, framed): with two variants and
        the threshold and target entries there was no free corner, and notebook 01's
        pooled-queue curve ran under the left legend's box. Each curve's points, in
        display coordinates, must lie outside every legend's box.
        """
        contacts = result.contacts.assign(wait=result.contacts["wait"] * 200)
        slow = dataclasses.replace(result, contacts=contacts)
        for variants in (runs, {"baseline": result, "callbacks": slow}):
            fig = plots.wait_cdf(variants)
            fig.canvas.draw()
            boxes = [ax.get_legend().get_window_extent() for ax in fig.axes
                     if ax.get_legend()] + [leg.get_window_extent() for leg in fig.legends]
            assert boxes
            for ax in fig.axes:
                for line in ax.get_lines():
                    if len(line.get_xdata()) < 3:  # marks and level lines, not curves
                        continue
                    points = ax.transData.transform(line.get_xydata())
                    inside = [box.contains(x, y) for box in boxes for x, y in points]
                    assert not any(inside), (line.get_label(), sum(inside))

    def test_a_long_variant_name_keeps_the_title_inside(self, runs):
        """The right panel's title names the first variant and stays inside the figure.

        Notebook 01's "By contact type (two queues, 21 + 21 agents)" ran past the
        figure's right edge; a long name now goes on a line of its own.
        """
        named = {"two queues, 21 + 21 agents, a long name": runs["baseline"],
                 "more": runs["more"]}
        fig = plots.wait_cdf(named)
        fig.canvas.draw()
        right = fig.axes[1]
        assert "two queues, 21 + 21 agents, a long" in " ".join(right.get_title().split())
        box = right.title.get_window_extent()
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, (box, fig.bbox)

    def test_long_waits_keep_the_threshold_visible(self, result):
        """Waits far beyond the threshold (callbacks) give a log time axis.

        The 20 s threshold then sits well inside the panel, not against the y axis.
        """
        contacts = result.contacts.assign(wait=result.contacts["wait"] * 200)
        slow = dataclasses.replace(result, contacts=contacts)
        fig = plots.wait_cdf({"baseline": result, "callbacks": slow})
        for ax in fig.axes:
            assert ax.get_xscale() == "log"
            lo, hi = ax.get_xlim()
            at = (np.log(20) - np.log(lo)) / (np.log(hi) - np.log(lo))
            assert 0.15 < at < 0.85
        assert "log" in fig.axes[0].get_xlabel()
        fast = dataclasses.replace(result, contacts=result.contacts.assign(
            wait=result.contacts["wait"] * 0.01))
        assert plots.wait_cdf(fast).axes[0].get_xscale() == "linear"  # short waits: linear

    def test_reads_service_level_at_threshold(self, result):
        """At the threshold the curve is answered within 20 s / offered, mean of replications."""
        shares = [(c.answered & (c.wait <= 20)).sum() / (~c.blocked & ~c.self_served).sum()
                  for _, c in result.contacts.groupby("replication")]
        assert len(shares) == 2
        got = plots.waits.answered_within(result.contacts, np.array([20.0]), result.scenario)[0]
        assert got == pytest.approx(np.mean(shares))

    @pytest.mark.parametrize("definition", ["offered", "short_abandons_excluded"])
    def test_marks_the_service_level_kpi(self, definition):
        """The marked service levels are the summary's, overall and per type.

        Here cards have their own threshold (2 min against 20 s), so no point of the
        all-types curve is the service level, and short abandons are judged at each
        type's threshold.
        """
        data = {**SMALL, "service_level": {**SMALL["service_level"], "definition": definition}}
        data["contact_types"] = {**SMALL["contact_types"], "cards": {
            **SMALL["contact_types"]["cards"], "patience": {"dist": "exponential", "mean": "1m"},
            "service_level": {"threshold": "2m", "target": 0.9}}}
        result = sim.run(sim.scenario_from_dict(data), seed=3, replications=2)
        fig = plots.wait_cdf(result)
        left, right = fig.axes
        overall = [line for line in left.get_lines() if line.get_gid() == "service_level"]
        assert overall, "no mark of the service level"
        for line in overall:
            assert np.asarray(line.get_ydata(), float) == pytest.approx(
                100 * result.summary["service_level"], rel=1e-12)
            assert format_kpi("service_level", result.summary["service_level"]) in (
                line.get_label())
        for name, threshold in (("billing", 20.0), ("cards", 120.0)):
            (dot,) = [line for line in right.get_lines()
                      if line.get_gid() == f"service_level:{name}"]
            assert list(dot.get_xdata()) == [threshold]
            assert list(dot.get_ydata()) == pytest.approx(
                [100 * result.by_type[name]["service_level"]], rel=1e-12)
            assert right.get_xlim()[0] <= threshold <= right.get_xlim()[1]

    def test_curve_meets_the_kpi_at_the_threshold(self, result):
        """With one threshold, the curve at it is the summary's service level (2 replications)."""
        sl = result.scenario.service_level
        curve = plots.waits.answered_within(result.contacts, np.array([sl.threshold]),
                                              result.scenario)[0]
        assert curve == pytest.approx(result.summary["service_level"], rel=1e-12)
        (dot,) = [line for line in plots.wait_cdf(result).axes[0].get_lines()
                  if line.get_gid() == "service_level"]
        assert list(dot.get_xdata()) == [sl.threshold]

    def test_variant_colours_are_consistent(self, runs):
        """A variant has the same colour in every figure."""
        colours = plots.variant_colours(list(runs))
        cdf = {line.get_label(): to_hex(line.get_color()) for line in
               plots.wait_cdf(runs).axes[0].get_lines()}
        assert cdf["baseline"] == colours["baseline"] and cdf["more"] == colours["more"]
        assert colours["baseline"] != colours["more"]


class TestIntervalFigure:
    def test_five_panels_with_units(self, runs):
        """Offered, agents, service level, ASA, abandon rate, each with a unit."""
        fig = plots.interval_figure(runs)
        assert_draws(fig)
        ys = labels(fig)
        assert len(ys) == 5
        assert all("(" in y for y in ys[2:]) and "contacts" in ys[0]

    def test_asa_panel_has_no_service_level_line(self, runs):
        """The SL threshold is not an ASA target: nothing but the variants on the ASA panel."""
        fig = plots.interval_figure(runs)
        asa = fig.axes[3]
        assert asa.get_ylabel() == "ASA (s)"
        assert not asa.lines  # no horizontal threshold line
        assert len(asa.patches) == len(runs)

    def test_last_closing_has_a_tick(self, result):
        """The last tick is the closing time of the last day (11:00 here)."""
        fig = plots.interval_figure(result)
        ax = fig.axes[-1]
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks[-1] == "11:00" and ax.get_xticks()[-1] == ax.get_xlim()[1]

    def test_variants_have_distinct_line_styles(self, result, scenario):
        """With 3+ variants, each variant's lines have their own dash pattern.

        The baseline's offered contacts are a line like the legend's, not a filled area.
        """
        fig = plots.interval_figure({"baseline": result, "b": result, "c": result, "d": result})
        staff = fig.axes[1]
        dashes = [str(p.get_linestyle()) for p in staff.patches[:4]]
        assert len(set(dashes)) == 4
        legend = {h.get_label(): str(h.get_linestyle()) for h in fig.legends[0].legend_handles}
        assert all(name in legend for name in ("baseline", "b", "c", "d"))
        offered = fig.axes[0]
        assert not any(p.get_fill() for p in offered.patches)

    def test_target_label_names_each_threshold(self, result):
        """The legend's service-level target says which threshold it is measured at.

        One threshold for all: "80% in 20 s". A type with its own threshold (cards within
        2 min at 90%): each type's, since the panel pools every type at its own.
        """
        def target_label(run) -> str:
            (label,) = [h.get_label() for h in plots.interval_figure(run).legends[0]
                        .legend_handles if h.get_label().startswith("service-level target")]
            return label

        assert target_label(result) == "service-level target: 80% in 20s"
        data = {**SMALL, "variants": {}}
        data["contact_types"] = {**SMALL["contact_types"], "cards": {
            **SMALL["contact_types"]["cards"], "service_level": {"threshold": "2m",
                                                                 "target": 0.9}}}
        own = sim.run(sim.scenario_from_dict(data), seed=3, replications=1)
        assert target_label(own) == ("service-level targets, each type at its own:\n"
                                     "80% in 20s (billing)\n90% in 2m (cards)")
        # the service-level panel draws each target the legend names, not the scenario's only
        panel = plots.interval_figure(own).axes[2]
        assert sorted(line.get_ydata()[0] for line in panel.get_lines()) == [80.0, 90.0]

    def test_erlang_requirement_single_type(self):
        """One type at a constant rate: every interval needs the Erlang C staffing."""
        sc = sim.scenario_from_dict({**SMALL, "variants": {}, "contact_types": {
            "billing": SMALL["contact_types"]["billing"]},
            "agents": {"team": {"skills": ["billing"], "staff": 6}}})
        need = plots.erlang_requirement(sc)
        assert need.shape == (6,)
        assert np.all(need == erlang.required_agents(90 / 3600, 240, 0.8, 20))

    def test_erlang_requirement_keeps_a_types_own_threshold(self):
        """A type with its own service level is planned for its own threshold.

        An e-mail queue answered within 4 h needs far fewer agents than at the scenario's
        20 s; a pool takes the strictest threshold of its types (as ``staff`` does).
        """
        billing = SMALL["contact_types"]["billing"]
        own = {**billing, "service_level": {"threshold": "4h", "target": 0.8}}
        sc = sim.scenario_from_dict({**SMALL, "variants": {}, "contact_types": {"email": own},
                                     "agents": {"team": {"skills": ["email"], "staff": 6}}})
        need = plots.erlang_requirement(sc)
        assert np.all(need == erlang.required_agents(90 / 3600, 240, 0.8, 4 * 3600))
        assert need[0] < erlang.required_agents(90 / 3600, 240, 0.8, 20)
        both = sim.scenario_from_dict({**SMALL, "variants": {}, "contact_types": {
            "email": own, "billing": billing},
            "agents": {"team": {"skills": ["email", "billing"], "staff": 6}}})
        assert plots.erlang_pools(both) == [["email", "billing"]]
        assert np.all(plots.erlang_requirement(both)
                      == erlang.required_agents(180 / 3600, 240, 0.8, 20))

    def test_erlang_requirement_uses_a_types_own_target(self):
        """A type with its own target is planned for it; a pool for what its types need most.

        VIPs at 95% in 20 s need more agents than the scenario's 80%. Billing (80% in 20 s)
        pooled with e-mails at 95% in 4 h: billing's goal binds, not 95% in 20 s.
        """
        billing = SMALL["contact_types"]["billing"]
        vip = {**billing, "service_level": {"threshold": "20s", "target": 0.95}}
        sc = sim.scenario_from_dict({**SMALL, "variants": {}, "contact_types": {"vip": vip},
                                     "agents": {"team": {"skills": ["vip"], "staff": 6}}})
        need = plots.erlang_requirement(sc)
        assert np.all(need == erlang.required_agents(90 / 3600, 240, 0.95, 20))
        assert need[0] > erlang.required_agents(90 / 3600, 240, 0.8, 20)
        email = {**billing, "service_level": {"threshold": "4h", "target": 0.95}}
        both = sim.scenario_from_dict({**SMALL, "variants": {}, "contact_types": {
            "email": email, "billing": billing},
            "agents": {"team": {"skills": ["email", "billing"], "staff": 6}}})
        need = plots.erlang_requirement(both)
        assert np.all(need == erlang.required_agents(180 / 3600, 240, 0.8, 20))
        assert need[0] < erlang.required_agents(180 / 3600, 240, 0.95, 20)

    def test_pools_follow_first_come_skills(self, scenario):
        """Types one group takes first-come are pooled; priorities and overflow separate."""
        assert plots.erlang_pools(scenario) == [["billing", "cards"]]  # generalists take both
        bank = sim.load_scenario(SCENARIOS / "small_bank.yaml")
        assert plots.erlang_pools(bank) == [["billing"], ["cards"]]  # generalists: priority

    def test_pooled_requirement_from_offered(self, scenario):
        """A pool is one queue: total rate, rate-weighted handle time."""
        offered = {"billing": np.full(6, 45.0), "cards": np.full(6, 15.0)}
        need = plots.erlang_requirement(scenario, offered)
        aht = (45 * 240 + 15 * 300) / 60
        assert np.all(need == erlang.required_agents(60 / 1800, aht, 0.8, 20))

    @pytest.mark.parametrize(("days", "close", "interval", "names_days"), [
        (1, "11:00", "30m", False), (1, "20:00", "15m", False), (6, "18:00", "1h", False),
        (5, "20:00", "30m", False), (30, "18:00", "1h", True), (4, "18:00", "1h", False),
        (30, "10:00", "1h", True)])
    def test_time_labels_do_not_overlap(self, days, close, interval, names_days):
        """The time axis stays readable however many days and intervals it holds.

        Six days of ten hours in hours had 24 labels run into each other ("08:0011:00").
        Where a label a day is too many, each label names its day (``Day 4``, at the
        day's opening): thirty days said only "08:00" every three days. Four days of ten
        hours had 16 labels every 3 hours (the count took 10 h / 3 h as 3.3 a day), and
        thirty two-hour days 30 "08:00"s run together (a 12-hour step still labels each day).
        """
        data = {**SMALL, "variants": {}, "days": days, "close": close, "interval": interval,
                "contact_types": {"billing": SMALL["contact_types"]["billing"]},
                "agents": {"team": {"skills": ["billing"], "staff": 6}}}
        sc = sim.scenario_from_dict(data)
        fig = plots.interval_figure(sim.run(sc, seed=1, replications=1))
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[-1]
        shown = [(tick, t) for tick, t in zip(ax.get_xticks(), ax.get_xticklabels())
                 if t.get_visible() and t.get_text()]
        assert 3 <= len(shown) <= MOST_TIME_LABELS
        texts = [t.get_text() for _, t in shown]
        if names_days:  # each at its day's opening
            assert texts == [f"Day {round(tick) // sc.intervals_per_day + 1}"
                             for tick, _ in shown], texts
        else:
            assert all(re.fullmatch(r"\d\d:\d\d", text) for text in texts), texts
        boxes = sorted((t.get_window_extent(renderer) for _, t in shown), key=lambda b: b.x0)
        for left, right in pairwise(boxes):
            assert right.x0 > left.x1 + 2, (left, right)

    def test_a_need_beyond_any_staffing_leaves_a_gap(self):
        """Talks of 10 million seconds: no Erlang C staffing up to 100,000 agents.

        The figure is drawn, without the need's line where no staffing meets the goal (it
        was not drawn at all: "figure not drawn: Per interval: ValueError: ..."), and the
        legend says why the line is missing.
        """
        billing = {**SMALL["contact_types"]["billing"],
                   "handle": {"dist": "exponential", "mean": 1e7}}
        sc = sim.scenario_from_dict({**SMALL, "variants": {}, "contact_types": {
            "billing": billing}, "agents": {"team": {"skills": ["billing"], "staff": 6}}})
        assert np.isnan(plots.erlang_requirement(sc)).all()
        fig = plots.interval_figure(sim.run(sc, seed=1, replications=1))
        assert_draws(fig)
        legend = [text.get_text() for text in fig.legends[0].get_texts()]
        assert any("more than 100,000 agents" in label for label in legend), legend

    def test_other_calendar_is_refused(self, result, scenario):
        """Variants must share the calendar to share a time axis."""
        other = sim.run(sim.with_overrides(scenario.model_copy(update={"variants": {}}),
                                           {"days": 2}), seed=1)
        with pytest.raises(ValueError, match="another calendar"):
            plots.interval_figure({"a": result, "b": other})


class TestDayFigure:
    def test_queue_and_busy_agents(self, result):
        """Queue per type on top; below, one panel per group: busy (group colour), on duty."""
        fig = plots.day_figure(result)
        assert_draws(fig)
        top, *panels = fig.axes
        assert [line.get_label() for line in top.get_lines()] == ["billing", "cards"]
        groups = plots.group_colours(result.scenario)
        assert len(panels) == len(groups) == 2
        staff = result.staff[result.staff["replication"] == 0]
        trace = result.traces[0]
        for ax, (g, colour) in zip(panels, groups.items()):
            assert g in ax.get_ylabel()
            assert to_hex(ax.collections[0].get_facecolor()[0]) == colour
            (duty,) = [line for line in ax.get_lines() if line.get_label() == "on duty"]
            times = trace["time"].to_numpy()
            shown = (times >= result.scenario.open - 1800) & (times <= result.scenario.close
                                                              + 3600)
            want = plots.agents_on_duty(staff, g, times[shown])
            np.testing.assert_array_equal(duty.get_ydata(), want)
        assert "(h)" in panels[-1].get_xlabel()

    def test_needs_traces(self, result):
        """Without a trace there is nothing to draw: say how to get one."""
        with pytest.raises(ValueError, match="trace_every"):
            plots.day_figure(dataclasses.replace(result, traces=[]))


class TestOccupancy:
    def test_matches_run_kpi(self, result):
        """Per-replication occupancy of all agents averages to the run's KPI."""
        table = plots.group_occupancy(result)
        mean = table[table.group == "all agents"].occupancy.mean()
        assert mean == pytest.approx(result.summary["occupancy"])
        team = table[table.group == "team"].occupancy.mean()
        assert team == pytest.approx(result.by_group["team"]["occupancy"])

    def test_group_colours_single_run(self, result):
        """A single run colours bars by agent group."""
        fig = plots.occupancy_figure(result)
        assert_draws(fig)
        bars = fig.axes[0].patches
        groups = plots.group_colours(result.scenario)
        assert to_hex(bars[0].get_facecolor()) == groups["team"]
        assert to_hex(bars[1].get_facecolor()) == groups["generalists"]

    def test_variant_colours_comparison(self, runs):
        """A comparison colours bars by variant."""
        fig = plots.occupancy_figure(runs)
        assert_draws(fig)
        colours = plots.variant_colours(list(runs))
        facecolours = {to_hex(p.get_facecolor()) for p in fig.axes[0].patches}
        assert facecolours == set(colours.values())


class TestJourney:
    def test_stages_without_journey_columns(self, result):
        """Plain results: contacts, entry, queue and outcome; counts add up."""
        contacts = without_journeys(result).contacts
        stages = dict(plots.journey_stages(contacts))
        assert list(stages) == ["Contacts", "Entry", "Queue", "Outcome"]
        n = len(contacts)
        assert stages["Contacts"] == {"first contact": n}
        assert sum(stages["Entry"].values()) == n
        assert stages["Entry"]["self-served in IVR"] == 0
        assert sum(stages["Queue"].values()) == stages["Entry"]["queued"]
        assert stages["Queue"]["answered"] + stages["Queue"]["called back"] == int(
            contacts.answered.sum())
        assert stages["Queue"]["called back"] == 0
        assert sum(stages["Outcome"].values()) == stages["Queue"]["answered"]
        assert stages["Outcome"]["resolved"] == int(contacts.resolved.sum())

    def test_stages_with_journey_columns(self, result):
        """Journey columns add repeats, the IVR and what happened to the answered."""
        contacts = with_fake_journeys(result).contacts
        stages = dict(plots.journey_stages(contacts))
        assert list(stages) == ["Contacts", "Entry", "Queue", "Answered", "Outcome"]
        n = len(contacts)
        assert stages["Contacts"]["repeat contact"] == n // 4
        assert stages["Entry"]["self-served in IVR"] == int(contacts.self_served.sum()) > 0
        answered = stages["Queue"]["answered"] + stages["Queue"]["called back"]
        assert stages["Queue"]["called back"] == int(contacts.callback.sum()) > 0
        assert sum(stages["Answered"].values()) == answered
        assert stages["Answered"]["transferred"] == int((contacts.transfers > 0).sum()) > 0
        held = (contacts.hold > 0) & (contacts.transfers == 0)
        assert stages["Answered"]["consult or hold"] == int(held.sum()) > 0

    def test_callers_who_hung_up_after_an_answer(self):
        """Answered, then hung up on hold: an outcome of the answered, not an abandon."""
        sc = sim.load_scenario(SCENARIOS / "fraud_consult.yaml", overrides={"days": 1})
        contacts = sim.run(sc, seed=1).contacts
        hung_up = int((contacts["outcome"] == "hung_up").sum())
        stages = dict(plots.journey_stages(contacts))
        assert stages["Outcome"]["hung up"] == hung_up > 0
        assert stages["Queue"]["abandoned"] == int(contacts["abandoned"].sum())
        answered = stages["Queue"]["answered"] + stages["Queue"]["called back"]
        assert sum(stages["Outcome"].values()) == answered

    def test_balked_callers_leave_at_entry(self):
        """Callers who balked leave at the entry, apart from the queued (not unserved)."""
        sc = sim.scenario_from_dict({
            "name": "balk", "interval": "1h",
            "contact_types": {"calls": {"arrivals": {"rate": "60/h"},
                                        "handle": {"dist": "exponential", "mean": "3m"},
                                        "balking": {"per_position": 0.3}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 2}}})
        contacts = plots.style.counted(sim.run(sc, replications=1))
        stages = dict(plots.journey_stages(contacts))
        assert stages["Entry"]["balked"] == int(contacts["balked"].sum()) > 0
        assert stages["Entry"]["queued"] == int((~contacts["balked"]).sum())
        assert stages["Queue"]["unserved at close"] == 0

    @pytest.mark.parametrize("variant", [without_journeys, with_fake_journeys])
    def test_figure_draws(self, result, variant):
        """The flow figure draws with and without journey columns."""
        fig = plots.journey_figure(variant(result))
        assert_draws(fig)
        rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert ("Answered" in rows) == (variant is with_fake_journeys)

    def test_plain_rows_without_information_are_dropped(self, result):
        """All first contacts, all queued: those rows say nothing and are not drawn."""
        fig = plots.journey_figure(without_journeys(result))
        rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert rows == ["Queue", "Outcome"]

    def test_complaint_posts_are_their_own_flow(self):
        """social_backlash: complaint posts arrive as their own category, not first contacts."""
        sc = sim.load_scenario(SCENARIOS / "social_backlash.yaml")
        run = sim.run(sc, replications=1)
        contacts = plots.style.counted(run)
        stages = dict(plots.journey_stages(contacts))
        posts = int((contacts["origin"].astype(str) == "complaint").sum())
        assert posts > 0 and stages["Contacts"]["complaint post"] == posts
        assert stages["Contacts"]["first contact"] == int(
            (contacts["origin"].astype(str) == "first").sum())
        fig = plots.journey_figure(run)
        assert "complaint post" in [t.get_text() for t in fig.legends[0].get_texts()]

    def test_one_panel_per_variant(self, runs):
        """A comparison has one panel per variant, titled in the variant's colour."""
        fig = plots.journey_figure(runs)
        assert_draws(fig)
        assert [ax.get_title(loc="left") for ax in fig.axes] == [
            "Where contacts go: baseline", "Where contacts go: more"]


class TestFcr:
    def test_contacts_per_issue_without_repeats(self, result):
        """Before repeat contacts every issue takes one contact."""
        shares = plots.contacts_per_issue(without_journeys(result))
        assert list(shares) == [1.0, 0.0, 0.0, 0.0]

    def test_contacts_per_issue_with_repeats(self, result):
        """Repeats sharing an issue id show as issues with two contacts."""
        fake = without_journeys(with_fake_journeys(result))
        fake.contacts["issue_id"] = with_fake_journeys(result).contacts["issue_id"]
        shares = plots.contacts_per_issue(fake)
        assert shares[2] > 0.2 and shares.sum() == pytest.approx(1.0)

    def test_contacts_per_issue_counts_the_measured_issues(self, result):
        """Issues first seen in the warm-up are left out, as from the KPI."""
        warm = result.scenario.model_copy(update={"warmup": 9 * 3600.0})  # opens 08:00
        issues = result.issues.copy()
        early = issues["first_arrival"] < warm.warmup
        issues.loc[early, "contacts"] = 4
        assert early.any()
        shares = plots.contacts_per_issue(dataclasses.replace(result, scenario=warm,
                                                              issues=issues))
        assert list(shares) == [1.0, 0.0, 0.0, 0.0]

    def test_fcr_by_type_is_the_kpi(self, result):
        """FCR per contact type is the run's per-type KPI."""
        rates = plots.fcr_by(result, "contact_type")
        assert rates["billing"] == pytest.approx(result.by_type["billing"]["fcr"])

    def test_figure_states_its_denominators(self, result):
        """The figure says the two FCR panels use different denominators, and the abandon rule."""
        fig = plots.fcr_figure(result)
        note = fig._supxlabel.get_text()
        assert "denominators" in note and "abandoned" in note and "no resolution model" in note
        assert "by agent group" in fig.axes[2].get_title()

    def test_fcr_by_group(self, result):
        """Per group: resolved share of the first contacts it answered."""
        c = result.contacts
        mine = c[(c.group == "team") & c.answered]
        assert plots.fcr_by(result, "group")["team"] == pytest.approx(mine.resolved.mean())

    def test_fcr_by_group_counts_first_contacts_only(self):
        """Repeats and retrials a group answered are left out of its FCR, as the rule says."""
        scenario = sim.scenario_from_dict({
            "name": "repeats", "days": 1, "open": "08:00", "close": "12:00",
            "interval": "1h", "contact_types": {"calls": {
                "arrivals": {"rate": "40/h"}, "handle": {"dist": "exponential", "mean": "3m"},
                "patience": {"dist": "exponential", "mean": "1m"}, "resolution": 0.5,
                "repeat": {"probability": 1.0, "delay": {"dist": "exponential",
                                                         "mean": "20m"}},
                "retrial": {"probability": 1.0, "delay": {"dist": "exponential",
                                                          "mean": "2m"}}}},
            "agents": {"team": {"skills": ["calls"], "staff": 2}}})
        run = sim.run(scenario, seed=4)
        c = plots.style.counted(run)
        first = c[c.answered & (c.origin.astype(str) == "first") & (c.group == "team")]
        later = c[c.answered & (c.origin.astype(str) != "first") & (c.group == "team")]
        assert len(later) > 20 and later.resolved.mean() != first.resolved.mean()
        assert plots.fcr_by(run, "group")["team"] == pytest.approx(first.resolved.mean())

    @pytest.mark.parametrize("variant", [without_journeys, with_fake_journeys])
    def test_figure_draws(self, runs, variant):
        """Three panels with units, with and without journey columns."""
        fig = plots.fcr_figure({k: variant(v) for k, v in runs.items()})
        assert_draws(fig)
        assert all("%" in y for y in labels(fig))


class TestComparisonFigures:
    @pytest.fixture(scope="class")
    @classmethod
    def comparison(cls, scenario):
        return compare(variant_scenarios(scenario), replications=3)

    def test_kpi_bars(self, comparison):
        """One panel per KPI, one bar per variant in its colour, whiskers drawn."""
        fig = plots.kpi_bars(comparison, kpis=["asa", "service_level"])
        assert_draws(fig)
        asa = fig.axes[0]
        colours = plots.variant_colours(comparison.names)
        assert [to_hex(p.get_facecolor()) for p in asa.patches] == list(colours.values())
        assert asa.get_ylabel() == "seconds" and fig.axes[1].get_ylabel() == "%"

    def test_difference_figure(self, comparison):
        """Differences to the baseline: one row per variant, zero line drawn."""
        fig = plots.difference_figure(comparison, kpis=["asa"])
        assert_draws(fig)
        assert "Difference" in fig.axes[0].get_xlabel()

    def test_difference_titles_do_not_run_together(self, comparison):
        """With four variants with long names, each title fits over its own panel."""
        base = comparison.results["baseline"]
        many = dataclasses.replace(comparison, results={
            "baseline": base, **{f"variant_with_a_long_name_{i}": base for i in range(4)}})
        fig = plots.difference_figure(many)
        fig.canvas.draw()
        shown = [ax for ax in fig.axes if ax.get_visible()]
        assert len(shown) == 8
        for ax in shown:
            title, panel = ax.title.get_window_extent(), ax.get_window_extent()
            assert title.x0 >= panel.x0 - 1 and title.x1 <= panel.x1 + 1, ax.get_title()

    def test_difference_needs_a_variant(self, comparison):
        """A comparison of the baseline alone has no differences to draw."""
        alone = dataclasses.replace(comparison, results={"baseline": comparison.results[
            "baseline"]})
        with pytest.raises(ValueError, match="no variant"):
            plots.difference_figure(alone)


def test_import_has_no_side_effects():
    """Importing the figure modules loads no pyplot and leaves the backend alone."""
    import subprocess
    import sys

    code = ("import matplotlib, sys; before = matplotlib.get_backend(); "
            "import sim.plots, sim.report, sim.animate; "
            "print('matplotlib.pyplot' in sys.modules, matplotlib.get_backend() == before)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"MPLBACKEND": "svg", "PATH": ""})
    assert out.stdout.split() == ["False", "True"]
