"""Animation: a day of the contact center as a short film, for teaching.

Each frame is a moment of one simulated day (by default every 10 simulated minutes, at
8 frames per second: a 12-hour day plays in 9 seconds). Left, every agent seat of every
group: talking, customer on hold, after-call work (wrap-up), idle, or off duty. Right,
the queue length through the day so far (per contact type, as day.png draws it: a
consulted desk's queue holds the agents' consult requests), and the customers waiting
right now with how long each has waited. The animation is drawn from a run's records
after the fact, so it shows exactly what the simulation did.

This module lays out the film and draws its frames; what each seat and queue was doing
when is read from the records by :mod:`sim.animation_timelines` (holds included), and the
film is saved as GIF, MP4 or HTML by :mod:`sim.animation_files`.

Size: every frame costs a fraction of a second to draw, and a GIF keeps every frame in
memory (about 1 MB each at the default resolution) until it is written. A short step
on a long day multiplies both (``--step 10``: 8,641 frames for 24 hours), so more than
:data:`MAX_FRAMES` frames are refused unless ``max_frames`` allows them.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import animation
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim import plots
from sim.animation_files import (  # noqa: F401 (the file side, importable from here too)
    FORMATS,
    Progress,
    check_format,
    check_frame_rate,
    html_page,
    offline_jshtml,
    save_animation,
)
from sim.animation_layout import HEADROOM, fit_labels, fit_legend, fit_width
from sim.animation_timelines import (
    Timeline,
    _talks_and_holds,
    _waits,
    _wrap_ups,
    callback_waits,
    frame_times,
)
from sim.features import features
from sim.kpis import CALLBACKS
from sim.replicate import RunResult
from sim.scenario import Scenario
from sim.units import DAY, format_duration
from sim.weekdays import day_label

MAX_FRAMES = 2000  # default limit: minutes to draw, about 2 GB of GIF frames in memory
IDLE, OFF, HOLD, WRAP = "#d9d9d9", "#ffffff", "#f4b400", "#7b3294"
MAX_WAITING_SHOWN = 25
SEATS_PER_ROW = 12
TITLE_SIZE = 10  # points; smaller where a title would not fit the frame


def frame_count(scenario: Scenario, step: float) -> int:
    """How many frames a day of ``scenario`` makes at ``step`` seconds a frame.

    One frame at opening and one every ``step`` seconds until the close (to the nearest
    frame, drawn at the close itself if after it), as :func:`build_animation` draws them
    (:func:`~sim.animation_timelines.frame_times`); counted without building the times.

    Raises:
        ValueError: If ``step`` is not a number > 0 seconds.
    """
    if not (isinstance(step, (int, float)) and math.isfinite(step) and step > 0):
        raise ValueError(f"'step' must be > 0 seconds, got {step!r}")
    # the length of np.arange(open, close + step / 2, step), computed the way numpy does
    return max(0, math.ceil((scenario.close + step / 2 - scenario.open) / step))


def check_frames(scenario: Scenario, step: float, max_frames: int = MAX_FRAMES) -> int:
    """The frame count of a day at ``step`` seconds a frame, if within ``max_frames``.

    Raises:
        ValueError: If ``step`` <= 0, ``max_frames`` < 1, or the day makes more frames.
    """
    if isinstance(max_frames, bool) or not isinstance(max_frames, int) or max_frames < 1:
        raise ValueError(f"'max_frames' must be an integer >= 1, got {max_frames!r}")
    frames = frame_count(scenario, step)
    if frames > max_frames:
        raise ValueError(f"'step' of {format_duration(step)} makes {frames:,} frames over the "
                         f"{scenario.open_seconds / 3600:g} hours open, more than "
                         f"'max_frames' = {max_frames:,}")
    return frames


def one_replication(scenario: Scenario, seed: int | None = None, replication: int = 0
                    ) -> RunResult:
    """A run of replication ``replication`` alone, to animate it.

    A replication is a pure function of (scenario, seed, replication), so its records are
    those of the same replication in a run of many; simulating the others too (as
    ``ccsim animate --replication N`` did) was N times the work to draw one.

    Args:
        scenario: The validated scenario.
        seed: The run's seed; the scenario's ``seed`` when None.
        replication: Which replication (0 = the first).
    """
    from sim.measure import replication_tables
    from sim.replicate import combine

    seed = scenario.seed if seed is None else seed
    return combine(scenario, seed, [replication_tables(scenario, seed, replication)])


def build_animation(result: RunResult, replication: int = 0, day: int = 0,
                    step: float = 600.0, fps: int = 8, dpi: int = 80,
                    max_frames: int = MAX_FRAMES) -> animation.FuncAnimation:
    """The animation of one day of one replication (see the module docstring).

    Args:
        result: A run.
        replication: Which replication.
        day: Which day (0 = the first).
        step: Simulated seconds per frame.
        fps: Frames per second when played.
        dpi: Resolution (the figure is 8 x 4.5 inches).
        max_frames: Refuse to make more frames than this.

    Returns:
        A matplotlib animation; save it with :func:`save_animation`.

    Raises:
        ValueError: If the replication or day is not in the run, ``step`` <= 0, or the
            day makes more than ``max_frames`` frames.
    """
    sc = result.scenario
    check_frames(sc, step, max_frames)
    if not 0 <= day < sc.days:
        raise ValueError(f"'day' must be in 1..{sc.days}, got {day + 1}")
    kept = result.kept_replications  # (a replication without contacts is still one)
    run = result.replications["replication"].tolist()  # one alone: see one_replication
    if replication not in run or (kept is not None and replication not in kept):
        raise ValueError(f"no replication {replication + 1} in these results")
    start, stop = day * DAY + sc.open, day * DAY + sc.close
    times = frame_times(start, stop, step)
    talks, holds = _talks_and_holds(result, replication)
    wraps = _wrap_ups(result, replication)
    waits, wait_types = _waits(result, replication)
    staff = result.staff[result.staff["replication"] == replication]
    grid = np.arange(start, stop + 1, 60.0)
    # a chat desk's seat is a chat slot: an agent on duty brings `concurrency` of them
    per_agent = {g: sc.agents[g].concurrency for g in sc.agents}
    duty = {g: plots.agents_on_duty(staff, g, times, per_agent[g]) for g in sc.agents}
    seats = {g: max(1, int(max(duty[g].max(), (talks[g].count(times) + (
        wraps[g].count(times) if wraps else 0)).max()))) for g in sc.agents}
    g_colours, t_colours = plots.group_colours(sc), plots.type_colours(sc)
    # the queue panel: all that waits in each queue, a consult's request too (an agent
    # whose customer is on hold), as day.png draws the run's queue trace
    queued, queued_types = _waits(result, replication, requests=True)
    queue_by_type = {t: Timeline(queued.start[queued_types == t], queued.end[queued_types == t])
                     for t in sc.contact_types}

    with matplotlib.rc_context(plots.STYLE):
        fig = Figure(figsize=(8, 4.5), dpi=dpi, layout="constrained")
        animation_canvas(fig)
        outer = fig.add_gridspec(2, 2, width_ratios=[1, 1.25], height_ratios=[1, 1.15])
        seat_ax = fig.add_subplot(outer[:, 0])
        queue_ax = fig.add_subplot(outer[0, 1])
        wait_ax = fig.add_subplot(outer[1, 1])
        xy, size = _seat_positions(seats, seat_ax, per_agent)
        for label in seat_ax.texts:  # fitted to the panel once laid out (fit_labels)
            label.set_in_layout(False)
        dots = seat_ax.scatter(xy[:, 0], xy[:, 1], s=size, marker="s", edgecolors="0.55",
                               linewidths=0.5)
        keys = [Patch(color="0.25", label="talking (group colour)"),
                Patch(color=HOLD, label="customer on hold"),
                Patch(facecolor=IDLE, edgecolor="0.55", label="idle"),
                Patch(facecolor=OFF, edgecolor="0.55", label="off duty")]
        if wraps:
            keys.insert(2, Patch(color=WRAP, label="after-call work"))
        seat_ax.legend(handles=keys, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=2,
                       fontsize=7.5)
        hours = (grid - day * DAY) / 3600
        lines = []
        top = 1
        for t, timeline in queue_by_type.items():
            counts = timeline.count(grid)
            top = max(top, int(counts.max()))
            (line,) = queue_ax.plot([], [], color=t_colours[t], label=t)
            line.full = counts  # type: ignore[attr-defined]
            lines.append(line)
        called = (callback_waits(result, replication) if CALLBACKS in features(sc)
                  else None)  # of those waiting, the callers who hung up to be called
        if called is not None:
            (line,) = queue_ax.plot([], [], color="0.45", ls="--", lw=1.0,
                                    label="awaiting a callback")
            line.full = called.count(grid)  # type: ignore[attr-defined]
            top = max(top, int(line.full.max()))  # (several types' callbacks together)
            lines.append(line)
        # headroom above the day's highest queue for the legend (it covered the surge);
        # more if the legend takes rows (fit_legend, once laid out)
        queue_ax.set(xlim=(hours[0], hours[-1]), ylim=(0, top * HEADROOM + 1),
                     ylabel="Contacts waiting", xlabel="Time of day", title="Queue")
        # at most 8 or so clock labels fit the panel (13, every 2 hours of a 24-hour day,
        # ran into each other)
        span = hours[-1] - hours[0]
        ticks = np.arange(np.ceil(hours[0]), hours[-1] + 1e-9,
                          1 if span <= 8 else 2 if span <= 16 else 4)
        # hours of the day shown: a day open round the clock ends at 24:00, as day.png says
        queue_ax.set_xticks(ticks, [f"{int(h):02d}:00" for h in ticks])
        queue_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        now_line = queue_ax.axvline(hours[0], color="k", lw=0.8)
        longest = max(float(np.max(waits.end - waits.start, initial=0.0)) / 60, 1.0)
        bars = wait_ax.barh(np.arange(MAX_WAITING_SHOWN), np.zeros(MAX_WAITING_SHOWN),
                            height=0.8, color="0.5")
        # two rows under the bars for "+N more" (written over the last bars, it hid them)
        wait_ax.set(xlim=(0, longest * 1.05), ylim=(MAX_WAITING_SHOWN + 1.5, -0.5),
                    xlabel="Waited so far (min)", title="Customers waiting now, longest first")
        wait_ax.set_yticks([])
        wait_ax.grid(axis="y", visible=False)
        more = wait_ax.text(0.98, MAX_WAITING_SHOWN + 0.5, "",
                            transform=wait_ax.get_yaxis_transform(), ha="right", va="center",
                            fontsize=7.5)
        # parse_math: a name with two $ signs ("$5 ... $2") is words, not TeX math
        title = fig.suptitle("", fontsize=TITLE_SIZE, fontweight="bold", parse_math=False)
        arrived = result.contacts["arrival"][result.contacts["replication"] == replication]
        if not ((arrived >= day * DAY) & (arrived < (day + 1) * DAY)).any():
            # nothing will move: say why, rather than leave the film to look broken
            queue_ax.text(0.5, 0.5, "No contacts this day", transform=queue_ax.transAxes,
                          ha="center", va="center", fontsize=10, color="0.35")

    which_day = day_label(sc, day)
    chats = any(c > 1 for c in per_agent.values())

    def draw(frame: int) -> list:
        t = times[frame]
        colours = []
        busy = {"agents": [0, 0], "chats": [0, 0, 0]}  # busy, on duty (chats: and agents)
        for g in sc.agents:
            talking = int(talks[g].count(np.array([t]))[0])
            on_hold = min(talking, int(holds[g].count(np.array([t]))[0]))
            wrapping = int(wraps[g].count(np.array([t]))[0]) if wraps else 0
            present = max(int(duty[g][frame]), talking + wrapping)
            idle = present - talking - wrapping
            colours += ([HOLD] * on_hold + [g_colours[g]] * (talking - on_hold)
                        + [WRAP] * wrapping + [IDLE] * idle + [OFF] * (seats[g] - present))
            counts = busy["agents" if per_agent[g] == 1 else "chats"]
            counts[0] += talking + wrapping
            counts[1] += present
            if per_agent[g] > 1:
                counts[2] += int(duty[g][frame]) // per_agent[g]
        dots.set_facecolors(colours)
        upto = grid <= t
        for line in lines:
            line.set_data(hours[upto], line.full[upto])  # type: ignore[attr-defined]
        now_line.set_xdata([(t - day * DAY) / 3600] * 2)
        active = waits.active(t)
        waited = (t - waits.start[active]) / 60
        kinds = wait_types[active]
        order = np.argsort(-waited)[:MAX_WAITING_SHOWN]
        for i, bar in enumerate(bars):
            if i < order.size:
                bar.set_width(waited[order[i]])
                bar.set_color(t_colours.get(kinds[order[i]], "0.5"))
            else:
                bar.set_width(0)
        more.set_text(f"+{waited.size - MAX_WAITING_SHOWN} more"
                      if waited.size > MAX_WAITING_SHOWN else "")
        into = t - day * DAY  # the day's own clock: its close at 24:00 is not 00:00
        clock = f"{int(into // 3600):02d}:{int(into % 3600 // 60):02d}"
        waiting = (f"{waited.size} waiting" if called is None else
                   f"{waited.size - (k := int(called.count(np.array([t]))[0]))} on the line, "
                   f"{k} awaiting a callback")
        # the moment on one line, the counts on the next, shrunk if still wider than
        # the frame (a chat desk's words made one line 60 pixels too wide: cut off)
        title.set_text(f"{sc.name} - {which_day}, {clock}\n{_busy_words(busy, chats)}, "
                       f"{waiting}")
        fit_width(title, TITLE_SIZE)
        return [dots, *lines, now_line, *bars, more, title]

    draw(0)
    fig.canvas.draw()  # lay out once, with the widest texts in place, then freeze it:
    fig.set_layout_engine("none")  # re-solving the layout every frame doubles the time
    with matplotlib.rc_context(plots.STYLE):  # (the legend's font and frame)
        fit_legend(queue_ax, top)  # in the room the layout gave the panel
    fit_labels(seat_ax)
    return animation.FuncAnimation(fig, draw, frames=len(times), interval=1000 / fps,
                                   blit=False, repeat=False)


def animation_canvas(fig: Figure) -> None:
    """Give a pyplot-free figure an Agg canvas that animation writers draw on.

    The writers render every frame themselves; the extra "draw when idle" the animation
    asks for after each frame would render it twice, so it is skipped on this canvas.
    """
    canvas = FigureCanvasAgg(fig)
    canvas.draw_idle = lambda *args, **kwargs: None  # type: ignore[method-assign]


def _busy_words(busy: dict[str, list[int]], chats: bool) -> str:
    """``3 of 4 agents busy``, and a chat desk's chats against its capacity in chats.

    A chat desk's agents take several chats each, and the run does not say which chat
    is whose: its busy count is in chats, not agents, and said so.
    """
    (agents, duty), (talks, slots, chat_agents) = busy["agents"], busy["chats"]
    words = [f"{agents} of {duty} agents busy"] if duty or not chats else []
    if chats:
        words.append(f"{talks} of {slots} chat slots busy ({chat_agents} chat agents)")
    return ", ".join(words)


def _seat_positions(seats: dict[str, int], ax,
                    per_agent: dict[str, int] | None = None) -> tuple[np.ndarray, float]:
    """A block of seat squares per group, groups stacked top to bottom, labelled.

    A chat desk's seats are chat slots, ``per_agent[group]`` to an agent: its label
    says so.

    Returns:
        Seat centres (one per seat, groups in order) and the marker size (points²) that
        fills the axes (3.4 x 3.4 inches) without overlaps.
    """
    per_row = 12 if max(seats.values()) <= 48 else 20 if max(seats.values()) <= 160 else 32
    xy = []
    row = 0.0
    for g, n in seats.items():
        each = (per_agent or {}).get(g, 1)
        ax.text(-0.5, -row, g if each == 1 else f"{g} (a seat per chat, {each} per agent)",
                ha="left", va="center", fontsize=8.5, fontweight="bold")
        row += 1
        xy += [(i % per_row, -(row + i // per_row)) for i in range(n)]
        row += (n - 1) // per_row + 1.5
    ax.set_xlim(-0.7, per_row - 0.3)
    ax.set_ylim(-row + 0.8, 0.7)
    ax.set_axis_off()
    ax.set_title("Agents")
    pitch = 3.4 * 72 / max(per_row, row)  # points between seat centres
    return np.array(xy, dtype=float), (0.72 * pitch) ** 2


def animate(result: RunResult, out: str | Path, replication: int = 0, day: int = 0,
            step: float = 600.0, fps: int = 8, dpi: int = 80, max_frames: int = MAX_FRAMES,
            progress: Progress | None = None) -> Path:
    """Animate one day of a run into ``out`` (.gif, .mp4 or .html).

    Args:
        result: A run.
        out: The file to write; its suffix picks the format.
        replication: Which replication (0 = the first).
        day: Which day (0 = the first).
        step: Simulated seconds per frame (600: ten minutes).
        fps: Frames per second.
        dpi: Resolution of the 8 x 4.5 inch frames.
        max_frames: Refuse to make more frames than this (see the module docstring).
        progress: Told after each frame is drawn (see :data:`Progress`).

    Returns:
        The path written.

    Raises:
        ValueError: If the format is unknown, ``fps`` too fast for it (a GIF: at most
            50), the day or replication is not in the run, ``step`` <= 0, or the day
            makes more than ``max_frames`` frames.
    """
    check_format(out)  # before drawing anything
    check_frame_rate(out, fps)
    anim = build_animation(result, replication=replication, day=day, step=step, fps=fps,
                           dpi=dpi, max_frames=max_frames)
    # counted from 1, as `ccsim animate --replication` and the floor figure count them
    title = (f"{result.scenario.name}: {day_label(result.scenario, day)}, "
             f"replication {replication + 1}")
    return save_animation(anim, out, fps=fps, progress=progress, title=title)
