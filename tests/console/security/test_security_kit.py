"""The security kit without a broker: hashes, names, the ACL derived from roles.py, the account reader,
certificates, the site file's TLS fields, and `main.py admin` as IT staff run it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from console.core.roles import Role
from console.security import accounts as acc
from console.security.acl import acl_text
from console.security.site_broker import run_config
from console.security.site_kit import init_site, write_broker_files
from drones.site import site_from_dict

ROOT_DIR = Path(__file__).resolve().parents[3]
PASSWORD = "Qingdao-secret-2026"


def test_hash_round_trip_and_format() -> None:
    h = acc.hash_password(PASSWORD)
    kind, iterations, salt, digest = h.split("$")[1:]
    assert (kind, iterations, len(salt), len(digest)) == ("7", "101", 16, 88)
    assert acc.verify_password(PASSWORD, h)
    assert not acc.verify_password(PASSWORD + "x", h)


@pytest.mark.parametrize("name", ["", "Admin", "a/b", "a+b", "#", "a b", "-x", "x" * 33, "a:b"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(acc.AccountError):
        acc.check_name(name)


def test_acl_follows_the_roles_table(tmp_path: Path) -> None:
    site = init_site(tmp_path / "s", admin_name="admin", admin_password=PASSWORD)
    acc.add_person(site, "v1", Role.VIEWER, PASSWORD)
    acc.add_person(site, "d1", Role.DISPATCHER, PASSWORD)
    acc.add_person(site, "gone", Role.ADMIN, PASSWORD)
    acc.set_enabled(site, "gone", False)
    text = acl_text(acc.load_accounts(site), "qdcb")
    blocks = {b.split("\n")[1]: b for b in text.split("\n\n") if b.startswith("# ")}
    assert blocks["user v1"].splitlines()[2:] == [
        "topic read #", "topic write qdcb/console/v1/consoles/+", "topic write qdcb/server/v1/requests/ask/v1/+"]
    assert "requests/drones/d1/+" in blocks["user d1"] and "supervise" not in blocks["user d1"]
    assert "user gone" not in text
    assert blocks["user site-server"].splitlines()[-1] == "topic write #"
    assert "topic write qdcb/alerts/#" in blocks["user site-platform"]
    write_broker_files(site)
    passwd = (site / "passwd").read_text()
    assert "\ngone:" not in "\n" + passwd and "\nv1:$7$" in "\n" + passwd
    assert (site / "acl").read_text() == text


def test_account_reader_sees_changes(tmp_path: Path) -> None:
    site = init_site(tmp_path / "s", admin_name="admin", admin_password=PASSWORD)
    reader = acc.AccountReader(site)
    assert reader.role_of("admin") is Role.ADMIN and reader.role_of("nobody") is None
    acc.add_person(site, "op", Role.OPERATOR, PASSWORD)
    assert reader.role_of("op") is Role.OPERATOR
    acc.set_enabled(site, "op", False)
    assert reader.role_of("op") is None
    assert reader.standing("op") == acc.UserStanding(Role.OPERATOR, False)


def test_init_site_files_and_key_modes(tmp_path: Path) -> None:
    site = init_site(tmp_path / "s", hosts=["broker.qdcb.lan", "10.20.0.5"], admin_name="admin",
                     admin_password=PASSWORD)
    for key in ("ca/ca.key", "broker.key", "services/site-server.key", "services/site-platform.key", "hashes"):
        assert stat.S_IMODE(os.stat(site / key).st_mode) == 0o600, key
    cert = x509.load_pem_x509_certificate((site / "broker.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"localhost", "broker.qdcb.lan"} <= set(san.get_values_for_type(x509.DNSName))
    assert {"127.0.0.1", "10.20.0.5"} <= {str(a) for a in san.get_values_for_type(x509.IPAddress)}
    client = x509.load_pem_x509_certificate((site / "services/site-server.crt").read_bytes())
    assert client.subject.rfc4514_string().startswith("CN=site-server")
    conf = (site / "mosquitto.conf").read_text()
    for line in ("per_listener_settings true", "listener 8883", "listener 8884", "require_certificate true",
                 "use_identity_as_username true", "max_queued_messages 0", "set_tcp_nodelay true",
                 "persistence true"):
        assert line in conf.splitlines(), line
    assert "allow_anonymous true" not in conf and conf.count("allow_anonymous false") == 2
    assert [ln for ln in conf.splitlines() if ln.startswith("listener")] == ["listener 8883", "listener 8884"]
    run = run_config(conf, ports={8883: 20001, 8884: 20002}, run_dir=tmp_path / "r", user="me")
    assert "listener 20001 127.0.0.1" in run and "log_dest stderr" in run and "listener 8883" not in run


def test_site_file_tls_paths_resolve_against_the_site_file(tmp_path: Path) -> None:
    site = site_from_dict({"site": {"name": "x"}, "broker": {"url": "mqtts://h:8884", "ca_file": "ca.crt",
                                                             "cert_file": "s/a.crt", "key_file": "s/a.key"}},
                          path=tmp_path / "site.toml")
    assert site.broker is not None
    assert (site.broker.ca_file, site.broker.cert_file, site.broker.key_file) == (
        tmp_path / "ca.crt", tmp_path / "s/a.crt", tmp_path / "s/a.key")


def admin(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT_DIR / "main.py"), "admin", *args], input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=ROOT_DIR)


def test_cli_init_add_list_disable_and_no_password_anywhere(tmp_path: Path) -> None:
    site = tmp_path / "site"
    outputs: list[str] = []

    def ok(*args: str, stdin: str = "") -> str:
        r = admin(*args, stdin=stdin)
        outputs.extend([r.stdout, r.stderr])
        assert r.returncode == 0, r.stderr
        return r.stdout

    ok("init-site", "--out", str(site), "--host", "broker.qdcb.lan", "--admin", "chief", "--password-stdin",
       stdin=PASSWORD + "\n")
    ok("add-user", "wang.li", "--role", "dispatcher", "--site-dir", str(site), "--password-stdin",
       stdin="Another-secret-77\n")
    ok("disable", "wang.li", "--site-dir", str(site))
    listing = ok("list", "--site-dir", str(site))
    rows = {line.split()[0]: line.split()[1:4] for line in listing.splitlines()[1:]}
    assert rows["chief"] == ["person", "admin", "enabled"]
    assert rows["wang.li"] == ["person", "dispatcher", "disabled"]
    assert rows["site-server"] == ["service", "server", "enabled"]
    assert "wang.li:" not in (site / "passwd").read_text() and "wang.li" not in (site / "acl").read_text()
    ok("add-service", "platform-2", "--role", "platform", "--site-dir", str(site))
    assert (site / "services" / "platform-2.crt").exists()

    bad = admin("add-user", "wang.li", "--role", "viewer", "--site-dir", str(site), "--password-stdin",
                stdin="Third-secret-999\n")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "already exists" in bad.stderr
    short = admin("add-user", "zhao", "--role", "viewer", "--site-dir", str(site), "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "too short" in short.stderr
    outputs += [bad.stdout, bad.stderr, short.stdout, short.stderr]
    assert admin("list", "--site-dir", str(tmp_path)).returncode == 2
    assert admin("add-user", "x1", "--role", "pilot", "--site-dir", str(site)).returncode == 2

    # The passwords: nowhere in any file except as a hash, never in any output.
    for secret in (PASSWORD, "Another-secret-77", "Third-secret-999"):
        assert not any(secret in o for o in outputs)
        for f in site.rglob("*"):
            if f.is_file():
                assert secret.encode() not in f.read_bytes(), f
    hashes = acc.read_hashes(site)
    assert acc.verify_password(PASSWORD, hashes["chief"]) and acc.verify_password("Another-secret-77",
                                                                                 hashes["wang.li"])
