"""``ccsim app``: the trainer's live page, served from this machine.

Only click is imported here; the server and the simulation session load when the
command runs, so ``ccsim --help`` stays fast.
"""

from __future__ import annotations

import errno
import socket
import threading
import webbrowser

import click

from sim.cli_common import fail, load_or_fail, sigterm_as_interrupt
from sim.cli_options import Whole


@click.command("app")
@click.argument("scenario", required=False, type=click.Path(dir_okay=False))
@click.option("--port", type=Whole(0, 65535), default=8765, show_default=True,
              help="Port to serve on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 shares the page on the LAN.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
def app_command(scenario: str | None, port: int, host: str, no_browser: bool) -> None:
    """Serve the trainer's live page: change a number, Run, see the queue explode.

    Controls (agents, arrivals, handle time, patience, cap, self-service, callbacks),
    KPIs with 95% CIs, the hockey stick over Erlang's curve, the floor played back, and
    before/after with paired differences. Without SCENARIO the page offers the bundled
    ones. Everything is served from this machine (works offline); Ctrl-C stops it.
    """
    if scenario is not None:
        load_or_fail(scenario, {})  # a bad file: one line per problem, exit 2
    from sim.app.model import Session
    from sim.app.server import make_server

    session = Session(scenario)
    try:
        server = make_server(session, host, port)
    except OSError as exc:
        # a name that resolves to nothing, or an address not of this machine, is the host's
        # fault; a port taken or not allowed, the port's
        option = ("--host" if isinstance(exc, socket.gaierror)
                  or exc.errno == errno.EADDRNOTAVAIL else "--port")
        fail([f"app: {option}: cannot listen on {host}:{port}: "
              f"{(exc.strerror or str(exc)).lower()}"])
    bound_host, bound_port = server.server_address[:2]
    url = f"http://{'127.0.0.1' if bound_host == '0.0.0.0' else bound_host}:{bound_port}/"
    click.echo(f"ccsim app: serving {session.source or 'the bundled scenarios'} on {url} "
               "(Ctrl-C stops)", err=True)
    if not no_browser:
        threading.Timer(0.3, webbrowser.open, args=(url,)).start()
    with sigterm_as_interrupt():
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            click.echo("ccsim app: stopped", err=True)
        finally:
            server.server_close()
            session.close()
