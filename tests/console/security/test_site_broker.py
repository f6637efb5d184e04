"""The secured site broker, for real: Mosquitto running exactly the configuration init-site writes, reached
with real clients (aiomqtt with the project's TLS context, and the `mosquitto_pub` command line)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aiomqtt

from console.core.roles import Role
from console.security.accounts import hash_password
from console.security.site_broker import SiteBroker
from drones.mqtt_tls import tls_context_for
from drones.site import BrokerConfig
from tests.security_fixtures import SecuredSite, connect_error, wait_for_connect

ROOT_DIR = Path(__file__).resolve().parents[3]


def test_a_person_with_the_right_password_connects_over_tls(secured_broker: SecuredSite) -> None:
    # The admin's hash was made in Python (accounts.hash_password): Mosquitto accepting it proves the format.
    assert connect_error(secured_broker.person("admin")) is None


def test_wrong_password_anonymous_and_plaintext_are_refused(secured_broker: SecuredSite) -> None:
    site = secured_broker
    assert connect_error(site.person("admin", "not-the-password")) is not None
    assert connect_error(site.person("nobody", "whatever-password")) is not None
    anonymous = BrokerConfig(site.broker.people_url, ca_file=site.ca_file)
    assert connect_error(anonymous) is not None
    plain = BrokerConfig(site.broker.people_url.replace("mqtts://", "mqtt://"), "admin", site.passwords["admin"])
    assert connect_error(plain, timeout_s=2) is not None
    plain_services = BrokerConfig(site.broker.services_url.replace("mqtts://", "mqtt://"))
    assert connect_error(plain_services, timeout_s=2) is not None
    # Not trusting the site CA: the broker's certificate is not accepted by the client.
    untrusted = BrokerConfig(site.broker.people_url, "admin", site.passwords["admin"])
    assert connect_error(untrusted) is not None


def test_a_service_connects_with_its_certificate_only(secured_broker: SecuredSite) -> None:
    site = secured_broker
    assert connect_error(site.service("site-server")) is None
    assert connect_error(site.service("site-platform")) is None
    assert connect_error(site.service("site-server", with_cert=False), timeout_s=2) is not None
    # A person's password does not open the services' listener either.
    person_on_services = BrokerConfig(site.broker.services_url, "admin", site.passwords["admin"], ca_file=site.ca_file)
    assert connect_error(person_on_services, timeout_s=2) is not None


def mosquitto_pub(site: SecuredSite, user: str, topic: str, payload: str) -> None:
    """Publishes with the real command line (QoS 1: it returns once the broker has taken the message)."""
    r = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(site.broker.people_port), "--cafile",
                        str(site.ca_file), "-u", user, "-P", site.passwords[user], "-q", "1", "-i", f"pub-{user}",
                        "-t", topic, "-m", payload], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr


def test_the_acl_lets_each_role_send_only_its_own_requests(secured_broker: SecuredSite) -> None:
    site = secured_broker
    site.add_user("viewer1", Role.VIEWER)
    site.add_user("dispatcher1", Role.DISPATCHER)
    requests = f"{site.root}/server/v1/requests"
    denied = [("viewer1", f"{requests}/drones/viewer1/c1"),        # a power a viewer lacks
              ("viewer1", f"{requests}/ask/dispatcher1/c1"),       # under another person's name
              ("viewer1", f"{site.root}/alerts/v1/shinan/fire"),   # a service's topic
              ("dispatcher1", f"{requests}/supervise/dispatcher1/c1")]
    allowed = [("viewer1", f"{requests}/ask/viewer1/c1"),
               ("dispatcher1", f"{requests}/drones/dispatcher1/c1")]

    async def scenario() -> list[str]:
        server = site.service("site-server")
        received: list[str] = []
        async with aiomqtt.Client(server.host, server.port, tls_context=tls_context_for(server),
                                  protocol=aiomqtt.ProtocolVersion.V311, identifier="test-server") as client:
            await client.subscribe("#", qos=1)
            # Published in order and each taken by the broker (QoS 1) before the next: a denied message that got
            # through would reach the subscriber before the allowed ones that end the wait.
            for user, topic in denied + allowed:
                await asyncio.to_thread(mosquitto_pub, site, user, topic, f"from {user}")
            want = {t for _, t in allowed}
            async with asyncio.timeout(10):
                async for message in client.messages:
                    received.append(str(message.topic))
                    if want <= set(received):
                        break
        return received

    received = asyncio.run(scenario())
    assert sorted(received) == sorted(t for _, t in allowed), received


def test_a_disabled_person_is_refused_after_the_cli_reloads_the_broker(secured_broker: SecuredSite) -> None:
    site = secured_broker
    site.add_user("operator1", Role.OPERATOR)
    r = subprocess.run([sys.executable, str(ROOT_DIR / "main.py"), "admin", "disable", "operator1", "--site-dir",
                        str(site.site_dir)], capture_output=True, text=True, timeout=60, cwd=ROOT_DIR)
    assert r.returncode == 0, r.stderr
    assert f"pid {site.broker.pid}" in r.stdout  # the running broker was found by its pid file and signalled
    wait_for_connect(site.person("operator1"), accepted=False)
    assert connect_error(site.person("admin")) is None  # everyone else still signs in
    r = subprocess.run([sys.executable, str(ROOT_DIR / "main.py"), "admin", "enable", "operator1", "--site-dir",
                        str(site.site_dir)], capture_output=True, text=True, timeout=60, cwd=ROOT_DIR)
    assert r.returncode == 0, r.stderr
    wait_for_connect(site.person("operator1"), accepted=True)


def test_mosquitto_accepts_python_made_hashes_of_any_salt(secured_broker: SecuredSite, tmp_path: Path) -> None:
    # A fixed salt with bytes that base64 turns into '+' and '/': the format must survive them too.
    hashed = hash_password("pässwörd-with-ü", salt=bytes([0xfb, 0xff, 0xbf] * 4))
    (secured_broker.site_dir / "passwd").write_text(f"admin:{hashed}\n", encoding="utf-8")
    secured_broker.broker.reload()
    wait_for_connect(secured_broker.person("admin", "pässwörd-with-ü"), accepted=True)


def test_site_broker_takes_other_ports_than_a_second_one(secured_broker: SecuredSite) -> None:
    # Two brokers of one site directory run side by side, each on ports of its own.
    with SiteBroker(secured_broker.site_dir) as second:
        assert {second.people_port, second.services_port}.isdisjoint(
            {secured_broker.broker.people_port, secured_broker.broker.services_port})
        assert connect_error(secured_broker.person("admin", url=second.people_url)) is None
