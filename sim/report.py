"""Reports: one self-contained HTML page per run or comparison, to read or to e-mail.

A report is a single ``report.html`` file: the KPI tables (with 95% confidence
intervals and, for a comparison, the paired differences to the baseline) and every
figure of :mod:`sim.plots`, embedded as base64 PNG. It has no scripts, no style
sheets or fonts to fetch and no links: it opens the same offline, in a mail client or
printed on A4. The figures are also written next to it as PNG files; they are drawn by
:mod:`sim.report_figures`, and this module writes the page around them.

A report can be redrawn from a results folder without simulating again
(:func:`load_results` reads what ``ccsim run`` and ``ccsim compare`` wrote).
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from sim import plots
from sim.compare import (
    Comparison,
    comparison_table,
    shown_shared_kpis,
)
from sim.cost_sentences import cost_sentences
from sim.features import left_out, note
from sim.kpis import BY_NAME, REGISTRY, better, enough_decimals, format_ci, format_kpi, meaning
from sim.metrics import shown_kpis
from sim.output import write_atomic
from sim.policy_source import describe
from sim.replicate import RunResult
from sim.report_figures import (  # noqa: F401 (render_png: importable from here too)
    RenderedFigure,
    comparison_figures,
    render_png,
    run_figures,
)
from sim.results_folder import read_comparison, read_results, read_run
from sim.scenario import Scenario
from sim.units import format_duration

REPORT_NAME = "report.html"

# Views of the KPI registry (sim.kpis), which the tables below read: the meaning column,
# and the colour of a significant difference (+1: higher is better for the customer and the
# plan; -1: lower is better)
KPI_MEANINGS = {kpi.name: kpi.meaning for kpi in REGISTRY}
BETTER = {kpi.name: kpi.better.value for kpi in REGISTRY if kpi.better.value}

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
.left{color:#555;font-size:.92em;margin-top:-.2em}
@media print{body{max-width:none;font-size:11pt}figure{break-inside:avoid}}
"""


# ---- HTML ----------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


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
            f"{'s' if reps > 1 else ''}"
            + (f"; {describe(result.policy)}" if result.policy else ""))


def _stopping_line(stopping: str | None) -> str:
    """With ``--precision``: how many replications it took and why it stopped (or nothing)."""
    if not stopping:
        return ""
    return f"<p class='meta'>Precision: {_esc(stopping.removeprefix('warning: '))}.</p>"


def _plain(text: str) -> str:
    """Markdown's code quotes left out (a meaning is written for the README too)."""
    return text.replace("`", "")


def _left_out_note(left: Sequence[str], where: str = "this scenario") -> str:
    """The line under a table that left rows out (:mod:`sim.features`), or ''."""
    if not left:
        return ""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", _esc(note(left, where)))
    return f"<p class='left'>{text}</p>"


def _kpi_table(result: RunResult) -> str:
    rows = ["<tr><th class='name'>KPI</th><th>mean</th><th>95% CI</th>"
            "<th class='name'>meaning</th></tr>"]
    kpis = shown_kpis(result.summary, [result.scenario])
    left = left_out(kpis, [result.scenario], [result.summary])
    for kpi in kpis:
        if kpi in left:
            continue
        value = result.summary[kpi]
        rows.append(f"<tr><td class='name'>{_esc(kpi)}</td><td>{format_kpi(kpi, value)}</td>"
                    f"<td>{format_ci(kpi, result.ci.get(kpi, math.nan))}</td>"
                    f"<td class='meaning'>{_esc(_plain(meaning(kpi)))}</td></tr>")
    return "<table>" + "".join(rows) + "</table>" + _left_out_note(left)


def _nested_table(result: RunResult, kind: str, first: str,
                  scenarios: Sequence[Scenario], where: str = "this scenario") -> str:
    """A measure x name table of ``result.by_type`` or ``by_group`` (``kind``).

    One column per contact type or agent group, each cell the mean over replications
    with its 95% confidence half-width, as in the key figures. Rows of features none of
    ``scenarios`` has, 0 in every column, are left out, and a line under the table
    names them (the table above it says why).
    """
    values = getattr(result, kind)
    if not values:
        return ""
    ci = result.nested_ci(kind)
    names = list(values)
    measures = list(values[names[0]])
    left = left_out(measures, scenarios, values.values())
    head = f"<tr><th class='name'>{_esc(first)}</th>" + "".join(
        f"<th>{_esc(n)}</th>" for n in names) + "</tr>"
    body = "".join(
        f"<tr><td class='name'>{_esc(m)}</td>" + "".join(
            f"<td>{format_kpi(m, values[n].get(m))} "
            f"<small>{format_ci(m, ci[n].get(m, math.nan))}</small></td>" for n in names)
        + "</tr>"
        for m in measures if m not in left)
    # the table above said why (the key figures' or the comparison's): the names suffice
    shown = [k for k in BY_NAME if k in left]
    return f"<table>{head}{body}</table>" + (
        f"<p class='left'>Left out, as above (not in {_esc(where)}): "
        f"{_esc(', '.join(shown))}.</p>" if shown else "")


def _comparison_table(comparison: Comparison) -> str:
    results = comparison.results.values()
    kpis = list(shown_shared_kpis(comparison.results))
    # left out only where no variant models the feature and every variant shows 0
    left = left_out(kpis, [r.scenario for r in results], [r.summary for r in results])
    kpis = [k for k in kpis if k not in left]
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
                if sig and better(kpi) and diff != 0:
                    css = "better" if np.sign(diff) == better(kpi) else "worse"
                d = enough_decimals(kpi, diff, ci)
                text = (f"{format_kpi(kpi, diff, signed=True, decimals=d)} "
                        f"<small>{format_ci(kpi, ci, decimals=d)}</small>")
                cells.append(f"<td class='{css}'>{text} *</td>" if sig else f"<td>{text}</td>")
        rows.append(f"<tr><td class='name'>{_esc(kpi)}</td>{''.join(cells)}</tr>")
    return "<table>" + "".join(rows) + "</table>" + _left_out_note(left, "any variant")


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
        _stopping_line(result.stopping and result.stopping.describe()),
        "<h2>Key figures</h2><p>Mean over replications with the 95% confidence "
        "half-width (Student t).</p>", _kpi_table(result),
        "<h2>By contact type</h2><p>Likewise, mean ± 95% confidence half-width.</p>",
        _nested_table(result, "by_type", "contact type", [sc]),
        "<h2>By agent group</h2>", _nested_table(result, "by_group", "agent group", [sc]),
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
        _stopping_line(comparison.stopping),
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
    scenarios = [r.scenario for r in comparison.results.values()]
    for variant, result in comparison.results.items():
        body += [f"<h2>{_esc(variant)}: by contact type and agent group</h2>",
                 _nested_table(result, "by_type", "contact type", scenarios,
                               "any variant"),
                 _nested_table(result, "by_group", "agent group", scenarios,
                               "any variant")]
    return _page(f"{name}: comparison report", body)


def write_report(subject: RunResult | Comparison, out: str | Path, png: bool = True,
                 workers: int = 1) -> tuple[list[Path], list[str]]:
    """Write ``report.html`` (and the figures as PNG) into ``out``, each file atomically.

    Args:
        subject: A run or a comparison.
        out: The results folder.
        png: Also write each figure as ``<name>.png``.
        workers: Processes drawing the figures side by side, forked where that is safe
            (:mod:`sim.figure_workers`; the command line uses every core); the same bytes.

    Returns:
        ``(files written, problems)``: one line per figure that could not be drawn.
    """
    out = Path(out)
    if isinstance(subject, Comparison):
        figures = comparison_figures(subject, workers)
        text = comparison_html(subject, figures)
    else:
        figures = run_figures(subject, workers)
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


# Results on disk are read by sim.results_folder; the old names stay for callers.
load_run, load_comparison, load_results = read_run, read_comparison, read_results
