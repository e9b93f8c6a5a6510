"""Animation files: an animation saved as a GIF, an MP4 or a self-contained HTML page.

The format comes from the file's suffix (:data:`FORMATS`). Every file is written under a
temporary name and renamed, so drawing that stops (an error, Ctrl-C) leaves neither the
file nor a temporary one, and the HTML page plays offline: matplotlib's player without
its style sheets and icon font.
"""

from __future__ import annotations

import html
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from matplotlib import animation

from sim.output import write_atomic

FORMATS = (".gif", ".mp4", ".html")
# a GIF's delays are in hundredths of a second, and browsers show a frame of 1/100 s or
# less for 1/10 s (against flicker): 60 frames a second played at 10
GIF_MAX_FPS = 50


# matplotlib's HTML player draws its buttons with an icon font fetched from a CDN;
# plain symbols keep the page working offline
_BUTTON_SYMBOLS = {
    "fa fa-minus": "&minus;", "fa fa-fast-backward": "&#x23EE;",
    "fa fa-step-backward": "&#x23F4;", "fa fa-play fa-flip-horizontal": "&#x25C0;",
    "fa fa-pause": "&#x23F8;", "fa fa-play": "&#x25B6;", "fa fa-step-forward": "&#x23F5;",
    "fa fa-fast-forward": "&#x23ED;", "fa fa-plus": "+",
}


def offline_jshtml(text: str) -> str:
    """Matplotlib's HTML animation without external style sheets (icons as plain symbols)."""
    text = re.sub(r"<link[^>]*>", "", text)
    return re.sub(r'<i class="(fa [^"]*)"></i>',
                  lambda m: _BUTTON_SYMBOLS.get(m.group(1), ""), text)


def check_format(out: str | Path) -> str:
    """The animation format of ``out`` (its suffix), if it can be written here.

    Raises:
        ValueError: If the suffix is not one of :data:`FORMATS`, or MP4 without ffmpeg.
    """
    suffix = Path(out).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{out}: unknown animation format {suffix or '(none)'!r}, expected "
                         f"one of {', '.join(FORMATS)}")
    if suffix == ".mp4" and not animation.writers.is_available("ffmpeg"):
        raise ValueError(f"{out}: MP4 needs ffmpeg, which is not installed; use .gif or .html")
    return suffix


def check_frame_rate(out: str | Path, fps: float, name: str = "'fps'") -> None:
    """Refuse a frame rate the format of ``out`` does not play (``name``: the option's).

    Raises:
        ValueError: If ``fps`` is not > 0, or over :data:`GIF_MAX_FPS` for a GIF.
    """
    if not (isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0):
        raise ValueError(f"{name} must be > 0 frames a second, got {fps!r}")
    if Path(out).suffix.lower() == ".gif" and fps > GIF_MAX_FPS:
        raise ValueError(f"{name} must be <= {GIF_MAX_FPS} for a GIF (browsers play a faster "
                         f"one at 10 frames a second), got {fps:g}; .html and .mp4 play it")


Progress = Callable[[int, int], None]
"""Called after each frame is drawn with (frames drawn, frames in all)."""


class _StoppedWritesNothing:
    """A writer that keeps frames in memory and, when drawing stops, writes nothing.

    Matplotlib finishes the file in a ``finally`` even when drawing stops with an
    exception (Ctrl-C, kill): Pillow would encode every frame kept so far into a file
    that is deleted anyway, and with none kept yet it fails with IndexError, which hides
    the interruption.
    """

    def finish(self) -> None:
        if sys.exc_info()[0] is None:  # no exception on its way through matplotlib's save
            super().finish()  # type: ignore[misc]


class _GifWriter(_StoppedWritesNothing, animation.PillowWriter):
    """Pillow's GIF writer (see :class:`_StoppedWritesNothing`)."""


class _HtmlWriter(_StoppedWritesNothing, animation.HTMLWriter):
    """Matplotlib's HTML player with embedded frames (see :class:`_StoppedWritesNothing`)."""


def html_page(fragment: str, title: str) -> str:
    """Matplotlib's player (a fragment) as a page of its own, with a title."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n</head>\n<body>\n{fragment}\n"
            "</body>\n</html>\n")


def save_animation(anim: animation.FuncAnimation, out: str | Path, fps: int = 8,
                   progress: Progress | None = None, title: str = "ccsim animation") -> Path:
    """Save an animation as GIF (Pillow), MP4 (needs ffmpeg) or HTML (self-contained).

    The file is written under a temporary name and renamed; an exception while drawing
    (KeyboardInterrupt included) leaves neither the file nor a temporary one.

    Args:
        anim: The animation (from :func:`sim.animate.build_animation`).
        out: The file to write; its suffix picks the format.
        fps: Frames per second.
        progress: Told after each frame is drawn (see :data:`Progress`).
        title: The title of the HTML page.

    Raises:
        ValueError: If the suffix is not one of :data:`FORMATS`, MP4 without ffmpeg, or
            ``fps`` too fast for the format (:func:`check_frame_rate`).
    """
    out = Path(out)
    suffix = check_format(out)
    check_frame_rate(out, fps)
    writer = {".gif": lambda: _GifWriter(fps=fps),
              ".mp4": lambda: animation.FFMpegWriter(fps=fps),  # finish() ends ffmpeg
              # what Animation.to_jshtml writes, drawn here so progress can be reported
              # every frame: past matplotlib's embed_limit (20 MB) it would drop the rest
              # with a log line, and the page would stop short of the frames counted (a
              # GIF holds all its frames in memory alike; --max-frames bounds them)
              ".html": lambda: _HtmlWriter(fps=fps, embed_frames=True, default_mode="once",
                                           embed_limit=math.inf)}[suffix]()
    told = None if progress is None else (lambda frame, total: progress(frame + 1, total))

    def save(path: Path) -> None:
        # the writers pick the format from the file name, so save under the real suffix
        fd, tmp = tempfile.mkstemp(suffix=suffix, dir=path.parent)
        try:
            os.close(fd)
            anim.save(tmp, writer=writer, progress_callback=told)
            if suffix == ".html":
                page = Path(tmp).read_text(encoding="utf-8")
                Path(tmp).write_text(html_page(offline_jshtml(page), title), encoding="utf-8")
            # mkstemp made it owner-only: take the shared mode write_atomic gave ``path``
            os.chmod(tmp, os.stat(path).st_mode & 0o777)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    return write_atomic(out, save)
