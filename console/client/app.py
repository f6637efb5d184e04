"""Starts the console: site, demo site, core services, window; and stops them all in order."""

from __future__ import annotations

import json
import logging
import signal
import socket
import sys
import time
from dataclasses import replace
from pathlib import Path

from console.cli import build_parser, load_requested_site
from console.demo_site import DemoSiteError
from console.logging_setup import setup_logging
from drones.site import Site, SiteFileError

log = logging.getLogger(__name__)

APP_NAME = "qd-console"
ORG_NAME = "qdcb"
EXIT_UNHEALTHY = 1
EXIT_BAD_INPUT = 2


def app_main(argv: list[str]) -> int:
    """main.py without a sub-command: parse, check the site, then run the GUI."""
    args = build_parser().parse_args(argv)
    smoke: tuple[float, Path] | None = None
    if args.smoke:
        try:
            smoke = (float(args.smoke[0]), Path(args.smoke[1]))
        except ValueError:
            build_parser().error(f"--smoke SECONDS must be a number, got {args.smoke[0]!r}")
    try:
        site, demo = load_requested_site(args.site, args.broker)
    except SiteFileError as exc:
        sys.stderr.write(f"error: site file {exc}\n")
        return EXIT_BAD_INPUT
    except ValueError as exc:
        sys.stderr.write(f"error: --broker: {exc}\n")
        return EXIT_BAD_INPUT
    log_file, errors = setup_logging(verbose=args.verbose)
    log.info("starting console on site %r (%s), log file %s", site.name, "demo" if demo else site.path, log_file)
    return run_gui(args, site, demo, errors, smoke)


def run_gui(args, site: Site, demo: bool, errors, smoke: tuple[float, Path] | None) -> int:  # type: ignore[no-untyped-def]
    # Qt is imported only here, so `--help` and site-file errors stay fast and need no display.
    from PySide6.QtCore import QCoreApplication, QSettings, QSocketNotifier, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from console.client.i18n import DEFAULT_LANGUAGE, LANGUAGES, LanguageSwitch
    from console.client.session import ConsoleSession, start_demo_server, start_demo_site
    from console.core.workstation import base_data_dir
    from console.demo_security import demo_sign_in, start_demo_security
    from console.core.workstation import Workstation, WorkstationError
    from console.remote.site_client import discover_server
    from console.client.theme import apply_theme

    started = time.monotonic()
    QApplication.setOrganizationName(ORG_NAME)
    QApplication.setApplicationName(APP_NAME)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    apply_theme(app)
    settings = QSettings()
    if args.reset_layout:
        settings.remove("window")
    saved_lang = settings.value("ui/language", DEFAULT_LANGUAGE)
    lang = args.lang or (saved_lang if saved_lang in LANGUAGES else DEFAULT_LANGUAGE)
    languages = LanguageSwitch(app)
    languages.set_language(lang)

    def fail(title: str, problem: str) -> int:
        """Report a start-up failure: the health line in smoke mode, a dialog titled `title` (translated) otherwise."""
        log.error("%s", problem)
        if smoke:
            _print_health({"healthy": False, "problems": [problem]})
        else:
            QMessageBox.critical(None, title, problem)
        sys.stderr.write(f"error: {problem}\n")
        return EXIT_UNHEALTHY

    try:
        station = Workstation.claim()
    except WorkstationError as exc:
        return fail(QCoreApplication.translate("Console", "Console"), str(exc))
    demo_site = server = security = None
    demo_login: tuple[str, str] | None = None   # the demo dispatcher's user and password, signed in by itself
    if demo and not args.broker:
        # The whole demo on this machine: its secured broker (Mosquitto with a generated site kit), the simulator,
        # the site server, this console.
        try:
            security = start_demo_security(base_data_dir())
            site, demo_site = start_demo_site(site, broker_url=None, time_scale=args.time_scale,
                                              verbose=args.verbose, px4=args.px4, security=security)
            server = start_demo_server(site, demo_site, station, demo_flights=args.demo_flights,
                                       verbose=args.verbose, security=security)
        except (DemoSiteError, ValueError, RuntimeError, OSError) as exc:
            # ValueError: ports the site cannot use (with_mavlink); RuntimeError: no Mosquitto, or it did not start
            for child in (demo_site, security):
                if child is not None:
                    child.stop()  # never leave the simulator or the broker behind
            return fail(QCoreApplication.translate("Console", "Demo site"), QCoreApplication.translate("Console", "The demo site could not start:")
                        + " " + str(exc))
    else:
        if demo and args.broker and (found_demo := demo_sign_in(base_data_dir(), args.broker)) is not None:
            # Another console on this machine's demo: its CA, and its demo dispatcher signs in here too.
            assert site.broker is not None
            site = site.with_broker(replace(site.broker, ca_file=found_demo[0]))
            demo_login = found_demo[1:]
        # Attached to a site's running server: it says where the site's video is.
        found = discover_server(site)
        if found is not None and found.get("video_base"):
            site = site.with_video_base(str(found["video_base"]))   # where the site's server says its video is
        log.info("site server on %s: %s", site.broker.url if site.broker else "?",
                 f"{found.get('server_id')} ({found.get('role')})" if found else "none answered yet")
    try:
        if security is not None:
            demo_login = (security.user, security.password)
        session = ConsoleSession(site, settings, languages, errors=errors, station=station, demo_site=demo_site,
                                 server=server, security=security,
                                 demo_identity=demo_login is not None and not args.user)
    except Exception as exc:  # noqa: BLE001 - e.g. an unwritable data directory
        log.exception("the console could not start")
        for child in (server, demo_site, security):
            if child is not None:
                child.stop()  # never leave the simulator or the server behind
        return fail(QCoreApplication.translate("Console", "Console"), f"the console could not start: {exc}")
    session.start()
    window = session.window
    if demo_login is not None and not args.user:
        # The demo signs its own dispatcher in (the badge says it is a demo).
        problem = session.identity.sign_in_now(*demo_login)
        if problem:
            log.error("the demo dispatcher could not sign in: %s", problem)
    elif session.services.mqtt.sign_in_required:
        if args.user:
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else ""
            problem = session.identity.sign_in_now(args.user, password)
            del password
            if problem:
                session.stop()
                return fail(QCoreApplication.translate("Console", "Sign in"), problem)
        elif not smoke and not session.identity.sign_in_at_start():
            log.info("nobody signed in; the console closes")
            session.stop()
            return 0
    window.restore_layout()
    window.show()
    # aboutToQuit: the window is closed; stop the core first (it talks to the child's broker).
    app.aboutToQuit.connect(session.stop)
    _install_signal_handlers(app, window, QSocketNotifier)

    exit_code = {"code": 0}
    if smoke:
        seconds, png = smoke

        def finish() -> None:
            png.parent.mkdir(parents=True, exist_ok=True)
            saved = window.grab().save(str(png))
            try:   # the server's own figures as of now, not of its last periodic answer
                session.core.call(session.services.refresh_server_health(), timeout_s=6.0)
            except Exception as exc:  # noqa: BLE001 - an unanswered question leaves the last answer in the line
                log.warning("the site server's health could not be read for the smoke check: %r", exc)
            snap = session.health()
            snap["screenshot"] = str(png) if saved else None
            if not saved:
                snap["problems"].append(f"could not write screenshot {png}")
                snap["healthy"] = False
            snap.update(site=site.name, demo=demo, language=languages.language,
                        uptime_s=round(time.monotonic() - started, 2))
            _print_health(snap)
            exit_code["code"] = 0 if snap["healthy"] else EXIT_UNHEALTHY
            if not snap["healthy"]:
                sys.stderr.write("console unhealthy: " + "; ".join(snap["problems"]) + "\n")
            window.close_without_asking()   # a smoke check never waits for an answer

        QTimer.singleShot(int(seconds * 1000), finish)

    code = app.exec()
    session.stop()
    return exit_code["code"] or code


def _print_health(snap: dict) -> None:  # type: ignore[type-arg]
    sys.stdout.write(json.dumps(snap, ensure_ascii=False, sort_keys=True) + "\n")
    sys.stdout.flush()


def _install_signal_handlers(app, window, notifier_cls) -> None:  # type: ignore[no-untyped-def]
    """SIGINT/SIGTERM close the window like the operator would (orderly shutdown, layout saved).

    Python runs signal handlers only between bytecodes, so the C signal handler writes to a
    socket that the Qt event loop watches.
    """
    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)
    signal.set_wakeup_fd(wsock.fileno())
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    notifier = notifier_cls(rsock.fileno(), notifier_cls.Type.Read, app)

    def on_signal() -> None:
        try:
            rsock.recv(64)
        except OSError:
            pass
        log.info("signal received; closing")
        window.close_without_asking()   # a signal has nobody to answer; the drones fly on (quit_guard)

    notifier.activated.connect(on_signal)
    app._signal_sockets = (rsock, wsock, notifier)  # keep them alive with the app
