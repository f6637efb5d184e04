"""Starts the console: site, demo site, core services, window; and stops them all in order."""

from __future__ import annotations

import json
import logging
import signal
import socket
import sys
import time
from pathlib import Path

from console.cli import build_parser, load_requested_site
from console.demo_site import DemoSite, DemoSiteError
from console.logging_setup import setup_logging
from drones.site import Site, SiteFileError, parse_broker_url

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

    from console.client.alert_controller import AlertController
    from console.client.bridge import CoreBridge
    from console.core.core_loop import CoreLoop
    from console.client.i18n import DEFAULT_LANGUAGE, LANGUAGES, LanguageSwitch
    from console.client.main_window import MainWindow
    from console.core.services import CoreServices
    from console.client.situation_controller import SituationController
    from console.client.theme import apply_theme
    from console.client.video_controller import VideoController

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

    demo_site: DemoSite | None = None
    if demo:
        demo_site = DemoSite(site_path=site.path, broker_url=args.broker, time_scale=args.time_scale,
                             verbose=args.verbose)
        try:
            site = site.with_broker(parse_broker_url(demo_site.start()))
            # The simulator's drones each bound a port of their own; the console connects out to them.
            site = site.with_mavlink({sysid: f"udpout://127.0.0.1:{port}"
                                      for sysid, port in demo_site.mavlink_ports.items()})
            if demo_site.video_url:
                site = site.with_video_base(demo_site.video_url)
        except (DemoSiteError, ValueError) as exc:  # ValueError: ports the site cannot use (with_mavlink)
            demo_site.stop()  # already stopped after a DemoSiteError; stopping twice is harmless
            log.error("%s", exc)
            if smoke:
                _print_health({"healthy": False, "problems": [str(exc)]})
            else:
                QMessageBox.critical(None, QCoreApplication.translate("Console", "Demo site"),
                                     QCoreApplication.translate("Console", "The demo site could not start:")
                                     + "\n" + str(exc))
            return EXIT_UNHEALTHY

    core = CoreLoop()
    core.start()
    try:
        services = CoreServices(site, core, errors=errors)
    except Exception as exc:  # noqa: BLE001 - e.g. an unwritable data directory for the journal
        log.exception("core services could not start")
        core.stop()
        if demo_site is not None:
            demo_site.stop()  # never leave the simulator behind
        problem = f"core services could not start: {exc}"
        if smoke:
            _print_health({"healthy": False, "problems": [problem]})
        else:
            QMessageBox.critical(None, QCoreApplication.translate("Console", "Console"), problem)
        sys.stderr.write(f"error: {problem}\n")
        return EXIT_UNHEALTHY
    if demo_site is not None:
        # A simulator that dies takes the demo's drones, docks and cameras with it: the health line says so.
        services.health.add_provider(lambda: {"demo_site_exit": demo_site.exit_code})
    bridge = CoreBridge(services.bus)
    window = MainWindow(site_name=site.name, settings=settings, language=languages.language)
    bridge.broker_state.connect(window.set_broker_state)
    bridge.fleet_links.connect(window.set_fleet_links)
    situation = SituationController(services, language=languages.language, parent=window)
    window.set_panel("map", situation.map)
    window.set_panel("fleet", situation.board)
    window.set_panel("task", situation.panel)
    alerts = AlertController(services, situation.selection, language=languages.language, parent=window)
    window.set_panel("alerts", alerts.widget)   # the desk with the selected alert's five automatics beside it
    bridge.alert_event.connect(alerts.on_alert_event)
    situation.feed.alerts = alerts.alert_marks
    video = VideoController(services, situation, bridge, settings, parent=window)
    window.set_panel("video", video.wall)
    alerts.camera_open_requested.connect(video.wall.open_camera)   # "open on video wall" in the five automatics

    def change_language(new: str) -> None:
        if languages.set_language(new):
            settings.setValue("ui/language", new)
        window.set_language(languages.language)
        situation.set_language(languages.language)
        alerts.set_language(languages.language)

    window.language_requested.connect(change_language)
    services.start()
    if demo and args.demo_flights > 0:
        from console.core.demo_flights import launch_demo_flights
        services.core.submit(launch_demo_flights(services.tasks, args.demo_flights, by=situation.operator))
    window.restore_layout()
    window.show()

    stopped = False

    def shutdown() -> None:
        # aboutToQuit: the window is closed; stop the core first (it talks to the child's broker).
        nonlocal stopped
        if stopped:
            return
        stopped = True
        t0 = time.monotonic()
        situation.stop()
        alerts.stop()
        video.stop()
        bridge.detach()
        if not core.stop():
            log.error("core services did not stop cleanly")
        if demo_site is not None:
            demo_site.stop()
        log.info("console stopped in %.2f s", time.monotonic() - t0)

    app.aboutToQuit.connect(shutdown)
    _install_signal_handlers(app, window, QSocketNotifier)

    exit_code = {"code": 0}
    if smoke:
        seconds, png = smoke

        def finish() -> None:
            png.parent.mkdir(parents=True, exist_ok=True)
            saved = window.grab().save(str(png))
            situation.report_health()
            alerts.report_health()
            video.report_health()
            snap = services.health.snapshot()
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
            window.close()

        QTimer.singleShot(int(seconds * 1000), finish)

    code = app.exec()
    shutdown()
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
        window.close()

    notifier.activated.connect(on_signal)
    app._signal_sockets = (rsock, wsock, notifier)  # keep them alive with the app
