"""The whole console on a secured site (real Mosquitto with the generated configuration, a real site server checking
the account book, a simulated dock): signing in, what each role's buttons allow, locking the screen, switching to
another person and an account disabled while signed in (docs/security.md, "At the console")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from console.client.i18n import LanguageSwitch
from console.client.session import ConsoleSession
from console.core.roles import Role
from console.core.workstation import Workstation
from console.security import accounts
from console.security.site_kit import apply_account_change
from drones.audit import AuditFilter
from tests.security_fixtures import SecuredScene
from widgets.situation import DroneCommand, Selection, SelectionKind

WAIT_MS = 30_000


def test_sign_in_roles_lock_switch_user_and_a_disabled_account(secured_scene: SecuredScene, tmp_path: Path,
                                                               qtbot, qapp: QApplication,  # type: ignore[no-untyped-def]
                                                               artifacts: Path) -> None:
    site, dock, sim, server = secured_scene.site, secured_scene.dock, secured_scene.sim, secured_scene.server
    site.add_user("vera", Role.VIEWER)
    site.add_user("dina", Role.DISPATCHER)
    console_site = replace(sim.console_site, broker=replace(site.person("nobody"), username=None, password=None))
    languages = LanguageSwitch(qapp)
    languages.set_language("en")
    session = ConsoleSession(console_site, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), languages,
                             station=Workstation("console-S", tmp_path / "d"))
    try:
        session.start()
        session.window.resize(1600, 900)
        session.window.show()
        services, identity = session.services, session.identity
        # Nobody signed in: the link stays down, nothing of the site is seen.
        assert services.mqtt.sign_in_required and services.user is None and not services.mqtt.connected

        # A wrong password is refused by the broker, with words for the person; the password field is emptied.
        dialog = identity._dialog()
        dialog.show()
        dialog.user.setText("vera")
        dialog.password.setText("not-her-password")
        dialog.submit()
        qtbot.waitUntil(lambda: bool(dialog.error_text()), timeout=WAIT_MS)
        assert "Wrong user name or password" in dialog.error_text() and dialog.password.text() == ""
        # The next try waits (this console slows down guessing); once the wait is over, the viewer signs in.
        dialog.password.setText(site.passwords["vera"])
        dialog.submit()
        assert "before the next try" in dialog.error_text()
        qtbot.waitUntil(lambda: identity._throttled() is None, timeout=WAIT_MS)
        accepted: list[bool] = []
        dialog.accepted.connect(lambda: accepted.append(True))
        dialog.password.setText(site.passwords["vera"])
        dialog.submit()
        qtbot.waitUntil(lambda: accepted == [True], timeout=WAIT_MS)   # the dialog closed itself (and is gone)
        qtbot.waitUntil(lambda: identity.role == "viewer" and services.present, timeout=WAIT_MS)
        assert "vera" in identity.badge.text() and "viewer" in identity.badge.text()
        session.situation.selection.select(Selection(SelectionKind.DRONE, str(dock.sysid)))
        take = session.situation.panel.buttons[DroneCommand.TAKE_AUTHORITY]
        qtbot.waitUntil(lambda: "Needs the dispatcher role" in take.toolTip(), timeout=WAIT_MS)
        assert not take.isEnabled()
        assert not session.alerts.panel.dispatch_button.isEnabled()
        assert not session.audit.act_open.isEnabled() and "supervisor" in session.audit.act_open.toolTip()
        session.window.grab().save(str(artifacts / "sign_in_viewer.png"))   # for a person to look at

        # Ctrl+L locks; a wrong password does not unlock, hers does.
        assert identity.act_lock.shortcut() == QKeySequence("Ctrl+L")
        identity.act_lock.trigger()
        lock = identity.lock_screen
        assert lock.is_locked and lock.geometry() == session.window.rect()
        lock.password.setText("wrong-wrong-wrong")
        lock.password.returnPressed.emit()
        qtbot.waitUntil(lambda: bool(lock.error_text()), timeout=WAIT_MS)
        assert lock.is_locked
        session.window.grab().save(str(artifacts / "sign_in_locked.png"))
        qtbot.waitUntil(lambda: identity._throttled() is None, timeout=WAIT_MS)
        lock.password.setText(site.passwords["vera"])
        lock.password.returnPressed.emit()
        qtbot.waitUntil(lambda: not lock.is_locked, timeout=WAIT_MS)

        # Switch user: the dispatcher takes the console without closing it, and her buttons work.
        identity.switch_user()
        assert lock.is_locked
        switch = identity.dialog
        assert switch is not None
        switch.user.setText("dina")
        switch.password.setText(site.passwords["dina"])
        switch.submit()
        qtbot.waitUntil(lambda: identity.role == "dispatcher" and not lock.is_locked, timeout=WAIT_MS)
        assert services.user == "dina"
        qtbot.waitUntil(take.isEnabled, timeout=WAIT_MS)
        assert not session.audit.act_automation.isEnabled()    # a supervisor's switch
        take.click()
        qtbot.waitUntil(lambda: (h := services.tasks.authority.holder(dock.id)) is not None and h.operator == "dina",
                        timeout=WAIT_MS)
        journal = server.services.tasks.journal
        sessions = [(e.user, e.what, e.result) for e in journal.audit.query(AuditFilter(kind="session"))]
        assert ("vera", "sign_in", "accepted") in sessions and ("dina", "sign_in", "accepted") in sessions

        # Her account is disabled while she is signed in: the console signs her out and locks, saying why.
        accounts.set_enabled(site.site_dir, "dina", False)
        apply_account_change(site.site_dir)
        qtbot.waitUntil(lambda: services.user is None and lock.is_locked, timeout=WAIT_MS)
        assert "disabled" in lock.error_text()
        assert not take.isEnabled()

        # A supervisor signs in on the same console: one click from the drone shows its history, read from the
        # server's audit trail (the dispatcher's takeover among it).
        site.add_user("sue", Role.SUPERVISOR)
        identity.switch_user()
        again = identity.dialog
        assert again is not None
        qtbot.waitUntil(lambda: identity._throttled() is None, timeout=WAIT_MS)
        again.user.setText("sue")
        again.password.setText(site.passwords["sue"])
        again.submit()
        qtbot.waitUntil(lambda: identity.role == "supervisor" and not lock.is_locked, timeout=WAIT_MS)
        history = session.situation.panel.history_button
        assert session.audit.act_open.isEnabled() and history.isVisible()
        history.click()
        panel = session.audit.panel
        qtbot.waitUntil(lambda: any(r["what"] == "authority.take" and r["user"] == "dina"
                                    for r in panel.shown_rows()), timeout=WAIT_MS)
        assert all(r["sysid"] in (dock.sysid, None) for r in panel.shown_rows())
        session.audit.dialog.grab().save(str(artifacts / "audit_drone_history.png"))
        # Hers too: the site's automatic dispatch off for a while, carried out and audited by the server.
        automation = session.audit.act_automation
        assert automation.isEnabled() and automation.isChecked()
        automation.trigger()
        qtbot.waitUntil(lambda: server.services.alerts.automation_on is False, timeout=WAIT_MS)
        assert [(e.user, e.result) for e in journal.audit.query(AuditFilter(user="sue"))
                if e.what == "automation.set"] == [("sue", "accepted")]
        assert journal.audit.verify().ok
    finally:
        session.stop()
        session.window.close()
        session.window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

