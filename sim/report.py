"""Reports: one self-contained HTML page per run or comparison, to read or to e-mail.

A report is a single ``report.html`` file: the KPI tables (with 95% confidence
intervals and, for a comparison, the paired differences to the baseline) and every
figure of :mod:`sim.plots`, embedded as base64 PNG. It has no scripts, no style
sheets or fonts to fetch and no links: it opens the same offline, in a mail client or
printed on A4. The figures are also written next to it as PNG files.

A report can be redrawn from a results folder without simulating again
(:func:`load_results` reads what ``ccsim run`` and ``ccsim compare`` wrote).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import plots
from sim.compare import (
    COMPARISON_MANIFEST,
    Comparison,
    comparison_table,
    cost_sentences,
    shared_kpis,
)
from sim.loader import scenario_from_dict
from sim.measure import ReplicationTables, measure
from sim.output import MANIFEST, ResultsError, verify, write_atomic
from sim.records import empty_legs_frame, empty_rules_frame
from sim.replicate import Collector, RunResult
from sim.units import format_duration

REPORT_NAME = "report.html"

KPI_MEANINGS = {
    "offered": "contacts that reached a queue",
    "answered": "contacts an agent answered",
    "abandoned": "callers who hung up while waiting",
    "blocked": "busy signals (never offered)",
    "block_rate": "busy signals / (offered + busy signals)",
    "abandon_rate": "abandoned / offered",
    "asa": "average speed of answer: mean wait of answered contacts",
    "mean_wait": "mean wait of all offered (abandoned: until hanging up)",
    "wait_p50": "median wait of all offered",
    "wait_p90": "90% of offered waited at most this",
    "wait_p99": "99% of offered waited at most this",
    "service_level": "answered within the threshold / offered (all contacts, callbacks too)",
    "occupancy": "busy agent time / agent time on duty",
    "aht": "mean handle (talk) time of answered contacts",
    "hold_time": "mean hold during consults per answered contact",
    "transfer_rate": "transfers / answered",
    "fcr": "issues resolved at the first contact / issues",
    "repeat_rate": "repeat contacts / offered",
    "contacts_per_issue": "contacts per issue",
    "customer_effort": "seconds waiting + on hold + talking per issue",
    "self_service_rate": "issues solved in the IVR / issues",
    "retrials": "redials after abandoning or a busy signal",
    "callbacks": "callbacks made (customers who left a number instead of waiting)",
    "callback_rate": "offered contacts that took a callback / offered",
    "callback_wait": "mean wait of called-back contacts, from arrival until the call back",
    "live_service_level": "service level of callers who stayed on the line (callbacks left out)",
    "live_asa": "ASA of callers who stayed on the line (callbacks left out)",
    "complaints": "public complaints posted",
    "unanswered": "offered contacts still waiting when the run ended (nobody could answer)",
    # with `costs:` (sim.costs), in the scenario's money unit
    "staff_cost": "hourly cost x scheduled hours (+ overtime factor x hours after closing)",
    "abandon_cost": "cost per abandoned contact x abandoned",
    "blocked_cost": "cost per blocked call x busy signals",
    "wait_cost": "cost per minute waited x minutes in queues",
    "callback_cost": "cost per callback x callbacks made",
    "complaint_cost": "cost per complaint x complaints",
    "total_cost": "staff + abandon + blocked + wait + callback + complaint costs",
    "revenue": "revenue per resolved issue (by contact type) x resolved issues",
    "profit": "revenue - total cost",
}
# +1: higher is better for the customer and the plan; -1: lower is better
BETTER = {
    "service_level": 1, "fcr": 1, "self_service_rate": 1, "asa": -1, "mean_wait": -1,
    "wait_p50": -1, "wait_p90": -1, "wait_p99": -1, "abandon_rate": -1, "block_rate": -1,
    "abandoned": -1, "blocked": -1, "customer_effort": -1, "repeat_rate": -1,
    "contacts_per_issue": -1, "transfer_rate": -1, "hold_time": -1, "retrials": -1,
    "complaints": -1, "unanswered": -1, "live_service_level": 1, "live_asa": -1,
    "callback_wait": -1,
    "staff_cost": -1, "abandon_cost": -1, "blocked_cost": -1, "wait_cost": -1,
    "callback_cost": -1, "complaint_cost": -1, "total_cost": -1, "revenue": 1, "profit": 1,
}

CSS = """
body{font-family:Helvetica,Arial,sans-serif;color:#222;max-width:60em;margin:1.5em auto;
padding:0 1em;line-height:1.4;font-size:15px}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;
border-bottom:1px solid #ccc;padding-bottom:.2em}h3{font-size:1.05em}
.meta{color:#555}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{padding:.25em .7em;border-bottom:1px solid #e3e3e3;text-align:right;white-space:nowrap}
th{background:#f3f3f3}td.name,th.name{text-align:left}td.meaning{text-align:left;
color:#555;white-space:normal}.better{color:#1a7f37;font-weight:bold}
.worse{color:#b42318;font-weight:bold}.sig{font-weight:bold}.swatch{display:inline-block;
width:.8em;height:.8em;margin-right:.35em;vertical-align:baseline}
figure{margin:1.2em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:.92em;margin-top:.3em}.note{color:#8a5a00}
@media print{body{max-width:none;font-size:11pt}figure{break-inside:avoid}}
"""


@dataclass
class RenderedFigure:
    """One figure of a report, rendered.

    Attributes:
        name: File stem (``intervals`` -> ``intervals.png``).
        title: Heading in the report.
        caption: How to read it.
        png: The PNG bytes, or None if it could not be drawn.
        problem: Why it could not be drawn.
    """

    name: str
    title: str
    caption: str
    png: bytes | None = None
    problem: str | None = None


def render_png(fig: Figure, dpi: int = plots.DPI) -> bytes:
    """A figure as PNG bytes (Agg), with fixed metadata: same figure, same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata=plots.PNG_METADATA)
    return buffer.getvalue()


def _draw(name: str, title: str, caption: str, make: Callable[[], Figure]) -> RenderedFigure:
    """Render one figure; a figure that fails is reported in the page, not fatal."""
    try:
        return RenderedFigure(name, title, caption, png=render_png(make()))
    except Exception as exc:  # one bad figure must not lose the whole report
        return RenderedFigure(name, title, caption,
                              problem=f"{type(exc).__name__}: {exc}")


def run_figures(result: RunResult) -> list[RenderedFigure]:
    """Every figure of a single run's report, rendered."""
    sc = result.scenario
    sl = sc.service_level
    return [
        _draw("wait_cdf", "Waiting times", _CDF_CAPTION.format(
            t=format_duration(sl.threshold), target=f"{100 * sl.target:g}"),
            lambda: plots.wait_cdf(result)),
        _draw("intervals", "Per interval", _INTERVAL_CAPTION,
              lambda: plots.interval_figure(result)),
        _day(result, "day", "A day at a glance"),
        _draw("occupancy", "Occupancy per agent group", _OCCUPANCY_CAPTION,
              lambda: plots.occupancy_figure(result)),
        _draw("journey", "Where contacts go", _JOURNEY_CAPTION,
              lambda: plots.journey_figure(result)),
        _draw("fcr", "First-contact resolution and repeat contacts", _FCR_CAPTION,
              lambda: plots.fcr_figure(result)),
    ]


def comparison_figures(comparison: Comparison) -> list[RenderedFigure]:
    """Every figure of a comparison's report, rendered."""
    runs = comparison.results
    sl = runs[comparison.baseline].scenario.service_level
    figures = [
        _draw("kpis", "KPIs per variant", _KPI_CAPTION, lambda: plots.kpi_bars(comparison)),
    ]
    if len(runs) > 1:
        figures.append(_draw("differences", "Differences to the baseline", _DIFF_CAPTION,
                             lambda: plots.difference_figure(comparison)))
    figures += [
        _draw("wait_cdf", "Waiting times", _CDF_CAPTION.format(
            t=format_duration(sl.threshold), target=f"{100 * sl.target:g}"),
            lambda: plots.wait_cdf(runs)),
        _draw("intervals", "Per interval", _INTERVAL_CAPTION, lambda: plots.interval_figure(runs)),
        _draw("occupancy", "Occupancy per agent group", _OCCUPANCY_CAPTION,
              lambda: plots.occupancy_figure(runs)),
        _draw("journey", "Where contacts go", _JOURNEY_CAPTION, lambda: plots.journey_figure(runs)),
        _draw("fcr", "First-contact resolution and repeat contacts", _FCR_CAPTION,
              lambda: plots.fcr_figure(runs)),
    ]
    figures += [_day(result, f"day_{name}", f"A day at a glance: {name}", name)
                for name, result in runs.items()]
    return figures


def _day(result: RunResult, name: str, title: str, variant: str | None = None
         ) -> RenderedFigure:
    if not result.traces:
        return RenderedFigure(name, title, _DAY_CAPTION,
                              problem="no queue trace in these results (run with tracing, "
                                      "as `ccsim run` and `ccsim compare` do by default)")
    heading = None if variant is None else (
        f"{variant}: day 1, replication {int(result.traces[0]['replication'].iloc[0]) + 1}")
    replication = int(result.traces[0]["replication"].iloc[0])
    return _draw(name, title, _DAY_CAPTION,
                 lambda: plots.day_figure(result, replication=replication, title=heading))


_CDF_CAPTION = ("Share of contacts answered within a wait of t seconds (pooled over "
                "replications). At the dashed threshold ({t}) the curve reads as the service "
                "level, to compare with the dotted {target}% target; it levels off below "
                "100% by the share of contacts never answered.")
_INTERVAL_CAPTION = ("Per interval, all contact types together. Offered contacts and "
                     "agents on duty are means per replication; service level, ASA and "
                     "abandon rate are over all callers of the interval in every "
                     "replication, as an ACD report counts them. Agents on duty (after "
                     "shrinkage) against the Erlang C requirement for the simulated "
                     "offered contacts and the mean handle times (contact types that the "
                     "same agents take first-come are pooled, the others staffed on their "
                     "own; patience ignored). Where the service level falls below the "
                     "target line, look at staffing, breaks and overflow.")
_DAY_CAPTION = ("One replication, sampled every minute: contacts waiting per contact type "
                "(top), and agents busy (filled) with the agents on duty (line): one panel "
                "per agent group where there are several.")
_OCCUPANCY_CAPTION = ("Busy time / time on duty per agent group, mean over replications "
                      "with 95% confidence intervals.")
_JOURNEY_CAPTION = ("Each bar is a stage, split into what happened; counts are means per "
                    "replication. IVR, transfers, consults and repeat contacts appear when "
                    "the scenario has them.")
_FCR_CAPTION = ("Contacts per issue (1 = solved or given up at the first contact), and "
                "first-contact resolution per contact type and per agent group.")
_KPI_CAPTION = ("Mean over replications with 95% confidence interval; * marks a variant "
                "whose paired difference to the baseline is significant.")
_DIFF_CAPTION = ("Variant minus baseline, paired over replications run with the same "
                 "random numbers, with 95% confidence intervals. An interval that misses "
                 "the zero line (filled marker) is a real difference, not luck.")


# ---- HTML ----------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def format_kpi(kpi: str, value: float | None, signed: bool = False,
               decimals: int | None = None) -> str:
    """A KPI value for people: shares in %, times in s, counts with separators.

    ``decimals`` overrides the usual number of decimals (see :func:`enough_decimals`).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    scale, unit = plots.kpi_scale(kpi)
    sign = "+" if signed else ""
    d = _DECIMALS[unit] if decimals is None else decimals
    if unit == "%":
        return f"{scale * value:{sign}.{d}f}" + (" pts" if signed else "%")
    if unit == "s":
        return f"{value:{sign}.{d}f} s"
    if unit == "per issue":
        return f"{value:{sign}.{d}f}"
    if decimals is None and not value % 1:
        return f"{value:{sign},.0f}"
    return f"{value:{sign},.{d}f}"


_DECIMALS = {"%": 1, "s": 1, "per issue": 3, "contacts": 1, "money": 2}


def enough_decimals(kpi: str, *values: float, most: int = 6) -> int:
    """Decimals that show every non-zero value of ``values`` as non-zero (at most ``most``).

    A significant difference of 0.004 points must not print as ``-0.0 pts ± 0.0 pts``.
    """
    scale, unit = plots.kpi_scale(kpi)
    d = _DECIMALS[unit]
    shown = [abs(scale * v) for v in values
             if v is not None and math.isfinite(v) and v != 0]
    while d < most and any(round(v, d) == 0 for v in shown):
        d += 1
    return d


def format_ci(kpi: str, ci: float, decimals: int | None = None) -> str:
    """A confidence half-width for people (``± 1.2 s``; shares in percentage points)."""
    if ci is None or math.isnan(ci):
        return ""
    return "± " + format_kpi(kpi, ci, decimals=decimals).replace("%", " pts")


def _scenario_lines(result: RunResult) -> str:
    sc = result.scenario
    sl = sc.service_level
    hours = f"{int(sc.open // 3600):02d}:{int(sc.open % 3600 // 60):02d}–" \
            f"{int(sc.close // 3600):02d}:{int(sc.close % 3600 // 60):02d}"
    reps = result.n_replications
    return (f"{sc.days} day{'s' if sc.days > 1 else ''}, open {hours}, "
            f"{format_duration(sc.interval)} intervals; {len(sc.contact_types)} contact "
            f"type{'s' if len(sc.contact_types) > 1 else ''}, {len(sc.agents)} agent "
            f"group{'s' if len(sc.agents) > 1 else ''}; service-level target "
            f"{100 * sl.target:g}% in {format_duration(sl.threshold)} "
            f"({sl.definition.value}); seed {result.seed}, {reps} replication"
            f"{'s' if reps > 1 else ''}")


def _kpi_table(result: RunResult) -> str:
    rows = ["<tr><th class='name'>KPI</th><th>mean</th><th>95% CI</th>"
            "<th class='name'>meaning</th></tr>"]
    for kpi, value in result.summary.items():
        rows.append(f"<tr><td class='name'>{_esc(kpi)}</td><td>{format_kpi(kpi, value)}</td>"
                    f"<td>{format_ci(kpi, result.ci.get(kpi, math.nan))}</td>"
                    f"<td class='meaning'>{_esc(KPI_MEANINGS.get(kpi, ''))}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


def _nested_table(values: dict[str, dict[str, float]], first: str) -> str:
    """A measure x name table (one column per contact type or agent group)."""
    if not values:
        return ""
    names = list(values)
    measures = list(values[names[0]])
    head = f"<tr><th class='name'>{_esc(first)}</th>" + "".join(
        f"<th>{_esc(n)}</th>" for n in names) + "</tr>"
    body = "".join(
        f"<tr><td class='name'>{_esc(m)}</td>" + "".join(
            f"<td>{format_kpi(m, values[n].get(m))}</td>" for n in names) + "</tr>"
        for m in measures)
    return f"<table>{head}{body}</table>"


def _comparison_table(comparison: Comparison) -> str:
    kpis = list(shared_kpis(comparison.results))
    table = comparison_table(comparison.results, comparison.baseline, kpis,
                             comparison.confidence)
    names = comparison.names
    colours = plots.variant_colours(names)
    head = "<tr><th class='name'>KPI</th>" + "".join(
        f"<th><span class='swatch' style='background:{colours[n]}'></span>{_esc(n)}</th>"
        + ("" if n == comparison.baseline else f"<th>Δ {_esc(n)} (95% CI)</th>")
        for n in names) + "</tr>"
    rows = [head]
    for kpi in kpis:
        part = table[table["kpi"] == kpi].set_index("variant")
        cells = []
        for name in names:
            row = part.loc[name]
            cells.append(f"<td>{format_kpi(kpi, row['mean'])} "
                         f"<small>{format_ci(kpi, row['ci'])}</small></td>")
            if name != comparison.baseline:
                diff, ci, sig = row["diff"], row["diff_ci"], bool(row["significant"])
                css = "sig"
                if sig and kpi in BETTER and diff != 0:
                    css = "better" if np.sign(diff) == BETTER[kpi] else "worse"
                d = enough_decimals(kpi, diff, ci)
                text = (f"{format_kpi(kpi, diff, signed=True, decimals=d)} "
                        f"<small>{format_ci(kpi, ci, decimals=d)}</small>")
                cells.append(f"<td class='{css}'>{text} *</td>" if sig else f"<td>{text}</td>")
        rows.append(f"<tr><td class='name'>{_esc(kpi)}</td>{''.join(cells)}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _changes_list(comparison: Comparison) -> str:
    items = []
    colours = plots.variant_colours(comparison.names)
    for name in comparison.names:
        change = comparison.changes.get(name, {})
        if name == comparison.baseline:
            what = "the scenario as given"
        elif "file" in change and len(change) == 1:
            what = f"scenario file {_esc(change['file'])}"
        else:
            what = ", ".join(f"<code>{_esc(k)} = {_esc(v)}</code>" for k, v in change.items())
            what = what or "no changes"
        items.append(f"<li><span class='swatch' style='background:{colours[name]}'></span>"
                     f"<b>{_esc(name)}</b>: {what}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _figure_html(figure: RenderedFigure) -> str:
    if figure.png is None:
        return (f"<h3>{_esc(figure.title)}</h3><p class='note'>Not drawn: "
                f"{_esc(figure.problem)}</p>")
    data = base64.b64encode(figure.png).decode("ascii")
    return (f"<figure id='{_esc(figure.name)}'><h3>{_esc(figure.title)}</h3>"
            f"<img alt='{_esc(figure.title)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{_esc(figure.caption)}</figcaption></figure>")


def _page(title: str, body: list[str]) -> str:
    try:
        version = metadata.version("ccsim")
    except metadata.PackageNotFoundError:
        version = "dev"
    # no clock time: `ccsim report DIR` redraws the page byte for byte
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
            + "".join(body)
            + f"<p class='meta'><small>Made by ccsim {_esc(version)}.</small></p>"
            "</body></html>\n")


def run_html(result: RunResult, figures: list[RenderedFigure] | None = None) -> str:
    """The report page of one run.

    Args:
        result: The run.
        figures: Rendered figures (default: :func:`run_figures`).

    Returns:
        A complete, self-contained HTML document.
    """
    figures = run_figures(result) if figures is None else figures
    sc = result.scenario
    body = [
        f"<h1>{_esc(sc.name)}</h1><p class='meta'>{_esc(_scenario_lines(result))}</p>",
        "<h2>Key figures</h2><p>Mean over replications with the 95% confidence "
        "half-width (Student t).</p>", _kpi_table(result),
        "<h2>By contact type</h2>", _nested_table(result.by_type, "contact type"),
        "<h2>By agent group</h2>", _nested_table(result.by_group, "agent group"),
        "<h2>Figures</h2>", *(_figure_html(f) for f in figures),
    ]
    return _page(f"{sc.name}: simulation report", body)


def comparison_html(comparison: Comparison, figures: list[RenderedFigure] | None = None) -> str:
    """The report page of a comparison.

    Args:
        comparison: The comparison.
        figures: Rendered figures (default: :func:`comparison_figures`).

    Returns:
        A complete, self-contained HTML document.
    """
    figures = comparison_figures(comparison) if figures is None else figures
    base = comparison.results[comparison.baseline]
    name = base.scenario.name
    body = [
        f"<h1>{_esc(name)}: comparing {len(comparison.names)} variants</h1>",
        f"<p class='meta'>{_esc(_scenario_lines(base))} per variant, all variants with the "
        "same random numbers (common random numbers).</p>",
        "<h2>Variants</h2>", _changes_list(comparison),
        "<h2>Key figures</h2><p>Each variant's mean with its 95% confidence half-width, and "
        "its difference to the baseline, paired over replications, with the 95% confidence "
        "half-width. <b>*</b> marks a difference whose interval excludes 0, in "
        "<span class='better'>green</span> when better for customers, "
        "<span class='worse'>red</span> when worse.</p>",
        _comparison_table(comparison),
        *(f"<p>{_esc(line)}.</p>" for line in cost_sentences(comparison)),
        "<h2>Figures</h2>", *(_figure_html(f) for f in figures),
    ]
    for variant, result in comparison.results.items():
        body += [f"<h2>{_esc(variant)}: by contact type and agent group</h2>",
                 _nested_table(result.by_type, "contact type"),
                 _nested_table(result.by_group, "agent group")]
    return _page(f"{name}: comparison report", body)


def write_report(subject: RunResult | Comparison, out: str | Path, png: bool = True
                 ) -> tuple[list[Path], list[str]]:
    """Write ``report.html`` (and the figures as PNG) into ``out``, each file atomically.

    Args:
        subject: A run or a comparison.
        out: The results folder.
        png: Also write each figure as ``<name>.png``.

    Returns:
        ``(files written, problems)``: one line per figure that could not be drawn.
    """
    out = Path(out)
    if isinstance(subject, Comparison):
        figures = comparison_figures(subject)
        text = comparison_html(subject, figures)
    else:
        figures = run_figures(subject)
        text = run_html(subject, figures)
    written = []
    if png:
        for figure in figures:
            if figure.png is not None:
                data = figure.png
                written.append(write_atomic(out / f"{figure.name}.png",
                                            lambda p, data=data: p.write_bytes(data)))
    written.append(write_atomic(out / REPORT_NAME,
                                lambda p: p.write_text(text, encoding="utf-8")))
    problems = [f"{figure.title}: {figure.problem}" for figure in figures if figure.problem]
    return written, problems


# ---- results on disk -----------------------------------------------------------------


def load_run(folder: str | Path) -> RunResult:
    """Read back what ``ccsim run`` (:func:`sim.output.write_run`) wrote into ``folder``.

    The folder is first checked against its manifest (:func:`sim.output.verify`): a run
    killed while writing, a file truncated, emptied or replaced since is refused. The
    saved tables (contacts, legs, staffing log, traces) are measured again by the step
    every run takes (:func:`sim.measure.measure`), one replication at a time, so the
    result has the KPIs, interval tables and issues of the run itself, to the bit; the
    rounded ``intervals.csv`` is for people and is not read.

    Raises:
        FileNotFoundError: If a file the report needs is missing.
        ResultsError: If the folder does not match its manifest or a file cannot be read.
        ScenarioError: If the saved scenario no longer validates.
    """
    folder = Path(folder)
    needed = ["summary.json", "scenario.json", "contacts.parquet", "intervals.csv",
              "replications.csv"]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a ccsim results folder, missing "
                                f"{', '.join(missing)}")
    listed = verify(folder)["files"]
    unlisted = [name for name in needed if name not in listed]
    if unlisted:
        raise ResultsError(f"{folder / MANIFEST}: does not list {', '.join(unlisted)}; "
                           "run it again")

    def read(name: str, reader: Callable[[Path], Any], default: Any = None) -> Any:
        if name not in listed:  # optional, and not written by this run
            return default
        try:
            return reader(folder / name)
        except Exception as exc:  # any reader's complaint: the file is not what we wrote
            raise ResultsError(f"{folder / name}: cannot be read "
                               f"({type(exc).__name__}: {' '.join(str(exc).split())})"
                               ) from None

    summary = read("summary.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
    scenario = scenario_from_dict(
        read("scenario.json", lambda p: json.loads(p.read_text(encoding="utf-8"))),
        source=str(folder / "scenario.json"))
    contacts = read("contacts.parquet", pd.read_parquet)
    staff = read("staff.parquet", pd.read_parquet,
                 pd.DataFrame(columns=["replication", "time", "group", "agents", "slots"]))
    legs = read("legs.parquet", pd.read_parquet, empty_legs_frame())
    traces = read("traces.parquet", pd.read_parquet)
    rules = read("rules.csv", pd.read_csv, empty_rules_frame())
    replications = read("replications.csv", pd.read_csv)
    kept = summary.get("contacts_replications")
    saved = {}
    if kept is not None:  # the measures of the replications without contacts, saved by the run
        saved = {"measures": read("measures.json",
                                  lambda p: json.loads(p.read_text(encoding="utf-8"))),
                 "intervals": read("intervals_by_replication.parquet", pd.read_parquet)}
        if saved["measures"] is None or saved["intervals"] is None:
            raise ResultsError(f"{folder}: kept the contacts of some replications only, but "
                               "measures.json or intervals_by_replication.parquet is missing; "
                               "run it again")
    collector = Collector(scenario, int(summary["seed"]),
                          None if kept is None else max(len(kept), 1))
    for r in replications["replication"].astype(int):
        if kept is not None and r not in kept:  # its measures, saved by the run
            collector.add(_measured_only(r, saved))
            continue
        trace = None if traces is None else _rows_of(traces, r)
        collector.add(measure(scenario, r, _rows_of(contacts, r), _rows_of(legs, r),
                              _rows_of(staff, r), trace if trace is not None and len(trace)
                              else None, _rows_of(rules, r) if scenario.rules else None))
    return collector.result()


def _measured_only(r: int, saved: dict[str, Any]) -> ReplicationTables:
    """A replication whose raw tables were not kept: its saved measures, no rows."""
    m = saved["measures"][str(r)]
    nan = float("nan")
    kpis = {k: nan if v is None else v for k, v in m["kpis"].items()}

    def numbers(nested: dict) -> dict:
        return {name: {k: nan if v is None else v for k, v in inner.items()}
                for name, inner in nested.items()}
    intervals = saved["intervals"]
    rows = intervals[intervals["replication"].to_numpy() == r].reset_index(drop=True)
    empty = pd.DataFrame()
    return ReplicationTables(
        replication=r, contacts=empty, legs=empty, staff=empty, issues=empty, kpis=kpis,
        by_type=numbers(m["by_type"]), by_group=numbers(m["by_group"]), intervals=rows)


def _rows_of(table: pd.DataFrame, replication: int) -> pd.DataFrame:
    """One replication's rows of a table of all replications, indexed from 0 as written."""
    if not len(table):
        return table
    return table[table["replication"].to_numpy() == replication].reset_index(drop=True)


def load_comparison(folder: str | Path) -> Comparison:
    """Read back what ``ccsim compare`` (:func:`sim.compare.write_comparison`) wrote."""
    folder = Path(folder)
    manifest = verify(folder, COMPARISON_MANIFEST)
    variants = manifest.get("variants")
    if (not isinstance(variants, list) or not variants
            or not all(isinstance(name, str) for name in variants)
            or manifest.get("baseline") not in variants):
        raise ResultsError(f"{folder / COMPARISON_MANIFEST}: damaged (no valid 'variants' "
                           "and 'baseline'); run it again")
    results = {name: load_run(folder / name) for name in variants}
    return Comparison(results=results, baseline=manifest["baseline"],
                      changes=manifest.get("changes", {}),
                      confidence=manifest.get("confidence", 0.95))


def load_results(folder: str | Path) -> RunResult | Comparison:
    """A run or a comparison from its results folder, whichever it holds.

    Raises:
        FileNotFoundError: If the folder holds neither.
        ResultsError: If the folder does not match its manifest, or a file is unreadable.
        ScenarioError: If a saved scenario no longer validates.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if (folder / COMPARISON_MANIFEST).is_file():
        return load_comparison(folder)
    if not (folder / "summary.json").exists() and any(
            (sub / "summary.json").is_file() for sub in folder.iterdir() if sub.is_dir()):
        raise ResultsError(f"{folder}: no {COMPARISON_MANIFEST}: the comparison that wrote "
                           "this folder did not finish; run it again")
    return load_run(folder)

