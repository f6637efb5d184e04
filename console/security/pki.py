"""The site's certificates (docs/security.md, "Files"): a site CA, the broker's server certificate and one client
certificate per service account, all made here with `cryptography` so IT staff need no openssl recipe.

Every key file is written 0600 from the start (never world-readable, even for a moment); certificates are public.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The CA signs for ten years: a site is installed once and should not stop on a forgotten expiry.
CA_DAYS = 3650
#: Leaf certificates (broker, services) also last ten years; they are reissued with `admin add-service`.
LEAF_DAYS = 3650
ORGANISATION = "Qingdao low-altitude command site"
#: Names the broker certificate always carries, so a broker reached on the same host is verified too.
LOCAL_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1")


@dataclass(frozen=True, slots=True)
class Issued:
    """Where a certificate and its key were written."""

    cert: Path
    key: Path


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256: what every TLS stack (OpenSSL 1.1 in Mosquitto 2.0, Python's ssl) supports, small and fast.
    return ec.generate_private_key(ec.SECP256R1())


def write_private(path: Path, data: bytes) -> None:
    """Writes `data` to `path` readable by its owner only (0600), atomically (temp file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)  # the umask may have narrowed it further; never wider than 0600
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_public(path: Path, data: bytes) -> None:
    """Writes a public file (a certificate) atomically, 0644."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_ca(ca_dir: Path, *, common_name: str = "QD site CA") -> Issued:
    """A new site CA in `ca_dir` (ca.crt, ca.key 0600), self-signed for ten years."""
    key = _new_key()
    now = _now()
    name = _name(common_name)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            # An hour back: a host whose clock is a little behind still accepts a fresh certificate.
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    issued = Issued(ca_dir / "ca.crt", ca_dir / "ca.key")
    write_private(issued.key, _key_pem(key))
    write_public(issued.cert, _cert_pem(cert))
    return issued


def load_ca(ca: Issued) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The CA's certificate and key, to sign with."""
    cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
    key = serialization.load_pem_private_key(ca.key.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca.key}: not the EC key this kit makes")
    return cert, key


def _san_entries(names: list[str]) -> list[x509.GeneralName]:
    entries: list[x509.GeneralName] = []
    seen: set[str] = set()
    for n in names:
        if not n or n in seen:
            continue
        seen.add(n)
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return entries


def _issue(ca: Issued, out: Issued, common_name: str, *, server: bool, san: list[str]) -> Issued:
    ca_cert, ca_key = load_ca(ca)
    key = _new_key()
    now = _now()
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name)).issuer_name(ca_cert.subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(hours=1))
               .not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(_san_entries(san)), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    write_private(out.key, _key_pem(key))
    write_public(out.cert, _cert_pem(cert))
    return out


def issue_broker_cert(ca: Issued, out: Issued, hosts: list[str] | tuple[str, ...] = ()) -> Issued:
    """The broker's server certificate: SAN localhost, 127.0.0.1 and `hosts` (names or IP addresses)."""
    names = [*LOCAL_NAMES, *hosts]
    return _issue(ca, out, names[-1] if hosts else "localhost", server=True, san=names)


def issue_client_cert(ca: Issued, out: Issued, account: str) -> Issued:
    """A service account's client certificate: CN = the account name (Mosquitto's `use_identity_as_username`
    makes it the MQTT user name the ACL knows), clientAuth only."""
    return _issue(ca, out, account, server=False, san=[])


def common_name(cert_file: Path) -> str:
    """The CN of a certificate file."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    values = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""
