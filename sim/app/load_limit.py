"""The page's load limit: an offered load more Erlangs than the limit on agents is refused.

As ``ccsim erlang`` refuses it (:data:`sim.limits.AGENTS`), naming the control typed:
the handle time, or the arrival factor (:func:`sim.app.settings.read_settings`).
"""

from __future__ import annotations

from sim import limits


def load_problems(aht: float, base_aht: float | None, per_hour: float, factor: float,
                   aht_changed: bool, rate_typed: bool = False) -> list[tuple[str, str]]:
    """An offered load over the limit on agents, as ``ccsim erlang`` refuses it.

    More Erlangs than the most agents a scenario may have could answer is a typo (an AHT
    of 1e300 s), and past any curve the Erlang formulas can draw. A handle time typed or
    an arrival factor over the limit with the scenario's other is named; each limit is
    told at the other as typed, or at the scenario's when the other is over too (an AHT
    and a factor of 1e300 were told "aht: must be <= 6e-295 s"). If only the two together
    are over, the handle time is named (the arrival factor if only it was changed).
    ``rate_typed``: the arrivals were typed as calls per hour: named so, in calls an hour.
    """
    try:
        most = limits.AGENTS.value()
    except ValueError as exc:  # CCSIM_MAX_AGENTS is not a number
        return [("aht", str(exc))]
    if aht * per_hour * factor / 3600 <= most:
        return []
    own = aht if base_aht is None else base_aht  # the scenario's handle time
    aht_over = aht_changed and aht * per_hour / 3600 > most
    factor_over = factor != 1 and own * per_hour * factor / 3600 > most
    tail = (f"is more Erlangs than the limit of {most:,} agents could answer; set "
            f"{limits.AGENTS.env} to raise the limit)")
    found = []
    if factor_over or not (aht_changed or factor == 1):
        handle = own if aht_over else aht
        # named as typed: calls an hour, or a factor of the scenario's
        name, limit, got, calls = (
            ("calls_per_hour", most * 3600 / handle, per_hour * factor, "calls an hour")
            if rate_typed else
            ("arrival_factor", most * 3600 / (handle * per_hour), factor, "calls"))
        found.append((name, f"must be <= {limit:.4g} (a handle time of {handle:,.0f} s x this "
                      f"many {calls} {tail}, got {got:g}"))
    if aht_over or not found:
        calls = per_hour * (1.0 if factor_over else factor)
        shown_calls = (f"{calls:.3g}" if not 1 <= calls < 1e15
                       else f"{calls:,.1f}".rstrip("0").rstrip("."))
        longest = most * 3600 / calls
        limit = f"{longest:,.0f}" if longest >= 1 else f"{longest:.3g}"
        found.append(("aht", f"must be <= {limit} s ({shown_calls} calls an hour "
                      f"x this handle time {tail}, got {aht:g}"))
    return found
