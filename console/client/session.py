"""One running console: its link to the site server, the bridge, the controllers and the window, built,
started and stopped together (GUI thread). `python main.py` runs one; benchmarks and tests build the same thing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSettings

from console.client.alert_controller import AlertController
from console.client.audit_controller import AuditController
from console.client.bridge import CoreBridge
from console.client.gc_guard import collect_on_gui_thread
from console.client.identity import IdentityController
from console.client.i18n import LanguageSwitch
from console.client.lag_meter import LagMeter
from console.client.main_window import MainWindow
from console.client.quit_guard import quit_warning
from console.client.situation_controller import SituationController
from console.client.video_controller import VideoController
from console.core.core_loop import CoreLoop
from console.core.health import ErrorCounter
from console.core.workstation import Workstation
from console.demo_security import DemoSecurity
from console.demo_site import DemoSite, ServerChild
from console.remote.site_client import RemoteServices
from drones.site import Site, parse_broker_url

log = logging.getLogger(__name__)


def start_demo_site(site: Site, *, broker_url: str | None, time_scale: float, verbose: bool,
                    px4: str | None = None, security: DemoSecurity | None = None) -> tuple[Site, DemoSite]:
    """Starts the demo site's simulator child and returns the site as the demo reaches it: the child's broker (with
    `security`, the demo's secured broker, where consoles sign in on the people's listener), its drones' ports
    (`udpout://`: the demo's site server connects out) and its video server.
    DemoSiteError (the child is stopped) or ValueError (ports the site cannot use)."""
    demo = DemoSite(site_path=site.path, broker_url=broker_url, time_scale=time_scale, verbose=verbose, px4=px4,
                    broker_args=security.service_files("site-platform") if security else None)
    try:
        url = demo.start()
        if security is not None:
            site = site.with_broker(replace(parse_broker_url(security.broker.people_url), ca_file=security.ca_file))
        else:
            site = site.with_broker(parse_broker_url(url))
        site = site.with_mavlink({sysid: f"udpout://127.0.0.1:{port}" for sysid, port in demo.mavlink_ports.items()})
        if demo.video_url:
            site = site.with_video_base(demo.video_url)
    except BaseException:
        demo.stop()   # never leave the simulator behind (stopping twice is harmless)
        raise
    return site, demo


def start_demo_server(site: Site, demo: DemoSite, station: Workstation, *, demo_flights: int = 0,
                      verbose: bool = False, security: DemoSecurity | None = None) -> ServerChild:
    """Starts the demo's site server as a child, on the demo simulator's broker and drones, with its journals in
    this console station's directory; DemoSiteError (nothing is left running) when it does not come up."""
    assert site.broker is not None
    server = ServerChild(broker_url=site.broker.url, mavlink={d.sysid: d.mavlink for d in site.docks if d.mavlink},
                         video_url=demo.video_url, data_dir=station.data_dir / "server", site_path=site.path,
                         demo_flights=demo_flights, demo_only=demo.px4_docks, verbose=verbose,
                         broker_args=security.service_files("site-server") if security else None,
                         accounts_dir=security.site_dir if security else None)
    server.start()
    return server


def needs_sign_in(site: Site) -> bool:
    """Whether people sign in at this site's consoles: a TLS broker that knows this program by no certificate of
    its own (the people's listener). A plain broker is an open site (tests, old site files)."""
    return site.broker is not None and site.broker.tls and site.broker.cert_file is None


class ConsoleSession:
    """The console's parts for one site; `start()` connects them to the world, `stop()` in dependency order.

    Raises (and leaves nothing running) when the console's link cannot be built, e.g. an unusable data
    directory; the caller says so to the operator. `demo_site` and `server`: the demo's simulator and site server
    children, stopped with the session.
    """

    def __init__(self, site: Site, settings: QSettings, languages: LanguageSwitch, *,
                 errors: ErrorCounter | None = None, station: Workstation | None = None,
                 demo_site: DemoSite | None = None, server: ServerChild | None = None,
                 security: DemoSecurity | None = None, demo_identity: bool = False) -> None:
        """`security`: the demo's broker, stopped last; `demo_identity`: the demo's own dispatcher signs in here."""
        self.site = site
        self.settings = settings
        self.languages = languages
        self.demo_site = demo_site
        self.server = server
        self.security = security
        collect_on_gui_thread()   # before any thread of the core allocates
        self.core = CoreLoop()
        self.core.start()
        try:
            self.services = RemoteServices(site, self.core, errors=errors, station=station,
                                           sign_in_required=needs_sign_in(site))
        except BaseException:
            self.core.stop()
            raise
        if demo_site is not None:
            # A simulator that dies takes the demo's drones, docks and cameras with it: the health line says so.
            self.services.health.add_provider(lambda: {"demo_site_exit": demo_site.exit_code})
        if server is not None:
            self.services.health.add_provider(lambda: {"demo_server_exit": server.exit_code})
        self.lag = LagMeter()
        self.bridge = CoreBridge(self.services.bus)
        self.window = window = MainWindow(site_name=site.name, settings=settings, language=languages.language)
        self.bridge.broker_state.connect(window.set_broker_state)
        self.bridge.fleet_links.connect(window.set_fleet_links)
        self.situation = SituationController(self.services, language=languages.language, parent=window)
        window.set_panel("map", self.situation.map)
        window.set_panel("fleet", self.situation.board)
        window.set_panel("task", self.situation.panel)
        self.alerts = AlertController(self.services, self.situation.selection, language=languages.language,
                                      parent=window)
        window.set_panel("alerts", self.alerts.widget)   # the desk with the selected alert's five automatics beside it
        self.bridge.alert_event.connect(self.alerts.on_alert_event)
        self.situation.feed.alerts = self.alerts.alert_marks
        self.video = VideoController(self.services, self.situation, self.bridge, settings, parent=window)
        window.set_panel("video", self.video.wall)
        self.alerts.camera_open_requested.connect(self.video.wall.open_camera)   # "open on video wall"
        window.language_requested.connect(self.change_language)
        self.bridge.server_state.connect(self._on_server_state)
        self.audit = AuditController(self.services, window, self.situation.selection)
        self.alerts.panel.history_requested.connect(self.audit.alert_history)
        self.situation.panel.history_requested.connect(self.audit.task_history)
        self.identity = IdentityController(self.services, window, demo=demo_identity,
                                           gated=[self.situation.panel, self.alerts.panel, self.alerts.desk,
                                                  self.audit],
                                           idle_lock_s=site.idle_lock_s)
        self.bridge.signed_in.connect(self.identity.on_signed_in)
        self._on_server_state(None)
        dock_names = {d.id: d.name for d in site.docks}
        # Quitting stops the flights' watcher only when this console started the site server (the demo).
        window.quit_warning = (lambda: quit_warning(self.services.tasks.open_tasks, dock_names)) \
            if server is not None else (lambda: None)
        self._stopped = False

    def _on_server_state(self, _event: object) -> None:
        """The site server came or went: the window's banner and status, the panels' commands (GUI thread)."""
        s = self.services
        self.window.set_server_state(s.present, s.server_id, s.present_since)
        lost = self.window.server_lost_text()
        self.situation.panel.set_server_lost(lost)
        self.alerts.panel.set_server_lost(lost)

    def change_language(self, new: str) -> None:
        if self.languages.set_language(new):
            self.settings.setValue("ui/language", new)
        language = self.languages.language
        self.window.set_language(language)
        self.situation.set_language(language)
        self.alerts.set_language(language)
        self.audit.retranslate()
        self.identity.retranslate()   # the role's name in the new language, on the badge and every tooltip
        self._on_server_state(None)   # the banner's and panels' words in the new language

    def start(self) -> None:
        """Connects to the broker; what the site server publishes fills the views from then on."""
        self.services.start()

    def health(self) -> dict[str, Any]:
        """The health line's figures now: the core's, the views', and the GUI thread's lag."""
        self.situation.report_health()
        self.alerts.report_health()
        self.video.report_health()
        self.services.health.set(**self.lag.figures())
        return self.services.health.snapshot()

    def stop(self) -> None:
        """Stops the views, then the core (it talks to the demo child's broker), then the demo's children."""
        if self._stopped:
            return
        self._stopped = True
        t0 = time.monotonic()
        self.lag.stop()
        self.situation.stop()
        self.alerts.stop()
        self.video.stop()
        self.bridge.detach()
        self.identity.detach()
        if not self.core.stop():
            log.error("core services did not stop cleanly")
        if self.server is not None:
            self.server.stop()     # before the simulator: its broker is the one the server talks to
        if self.demo_site is not None:
            self.demo_site.stop()
        if self.security is not None:
            self.security.stop()   # the broker last: the server and the simulator say goodbye on it
        log.info("console stopped in %.2f s", time.monotonic() - t0)
