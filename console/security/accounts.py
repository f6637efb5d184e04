"""The site's accounts (docs/security.md, "Accounts"): who may sign in, with which role, and which service
accounts exist. One JSON file, `accounts.json`, in the site security directory; passwords are never in it.

Password hashes live in `hashes` (every person, enabled or not, in `mosquitto_passwd` format, 0600); the
broker's `passwd` file is made from it with the enabled people only, so disabling a person keeps their password
for a later `enable` while the broker no longer accepts it. Hashes are Mosquitto 2.0's `$7$` (PBKDF2-SHA512,
101 iterations, a 12-byte salt), made here so no `mosquitto_passwd` needs to run (or see a password on a
command line).

Every write is atomic (a temp file renamed over the old one): a broker reloading or a server reading never sees
half a file.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from console.core.roles import SERVICE_ROLES, Role, role_of
from console.security.pki import write_private

ACCOUNTS_FILE = "accounts.json"
HASHES_FILE = "hashes"
FORMAT_VERSION = 1
#: Account names appear in MQTT topics (`requests/{power}/{user}/...`) and in Mosquitto's files: no wildcard,
#: no slash, no space, no colon, nothing a topic or a `user NAME` line could misread.
NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
#: Mosquitto 2.0's `$7$` hash: PBKDF2-SHA512, this many iterations (its fixed default), 12-byte salt.
PBKDF2_ITERATIONS = 101
SALT_BYTES = 12
#: A password shorter than this is refused: the broker does not rate-limit guesses (docs/security.md).
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request the account store refuses; `str()` is the one line shown to the user."""


@dataclass(frozen=True, slots=True)
class Person:
    """A person who signs in at a console."""

    name: str
    role: Role
    enabled: bool
    created: str
    changed: str


@dataclass(frozen=True, slots=True)
class Service:
    """A service account (the site server, a city platform): signs in with its client certificate."""

    name: str
    role: str   # a key of roles.SERVICE_ROLES
    enabled: bool
    created: str
    changed: str


@dataclass(frozen=True, slots=True)
class Accounts:
    """The whole account store as read from `accounts.json`."""

    people: tuple[Person, ...] = ()
    services: tuple[Service, ...] = ()

    def person(self, name: str) -> Person | None:
        return next((p for p in self.people if p.name == name), None)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def check_name(name: str) -> str:
    """`name` when it may be an account name; AccountError otherwise."""
    if not NAME_RE.fullmatch(name):
        raise AccountError(f"bad account name {name!r}: 1-32 of a-z 0-9 . _ -, starting with a letter or digit / "
                           "账号名只能包含小写字母、数字和 . _ -")
    return name


def check_password(password: str) -> str:
    """`password` when it is acceptable; AccountError otherwise."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters / "
                           f"密码至少 {MIN_PASSWORD_LENGTH} 个字符")
    if "\n" in password or "\r" in password:
        raise AccountError("a password cannot contain a line break / 密码不能包含换行")
    return password


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """`password` as Mosquitto 2.0's `$7$` hash (what `mosquitto_passwd` writes after `user:`)."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, hashed: str) -> bool:
    """Whether `password` matches a `$7$` hash."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    try:
        iterations, salt, digest = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    mine = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(mine, digest)


def write_atomic(path: Path, text: str, mode: int = 0o600) -> None:
    """Writes `text` to `path` atomically with permissions `mode`."""
    if mode == 0o600:
        write_private(path, text.encode("utf-8"))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def read_hashes(site_dir: Path) -> dict[str, str]:
    """Every person's password hash, by name (an empty dict before the first)."""
    path = Path(site_dir) / HASHES_FILE
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, hashed = line.partition(":")
        if sep and name and not name.startswith("#"):
            out[name] = hashed
    return out


def _write_hashes(site_dir: Path, hashes: dict[str, str]) -> None:
    write_atomic(Path(site_dir) / HASHES_FILE, "".join(f"{n}:{h}\n" for n, h in sorted(hashes.items())))


def _from_json(data: Any, path: Path) -> Accounts:
    try:
        people = tuple(Person(str(p["name"]), Role(p["role"]), bool(p["enabled"]), str(p["created"]),
                              str(p["changed"])) for p in data.get("people", []))
        services = tuple(Service(str(s["name"]), str(s["role"]), bool(s["enabled"]), str(s["created"]),
                                 str(s["changed"])) for s in data.get("services", []))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AccountError(f"{path}: not an account file this version can read ({exc!r})") from None
    return Accounts(people, services)


def load_accounts(site_dir: Path) -> Accounts:
    """The account store of `site_dir` (empty when it has none yet)."""
    path = Path(site_dir) / ACCOUNTS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Accounts()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AccountError(f"{path}: broken JSON ({exc})") from None
    return _from_json(data, path)


def save_accounts(site_dir: Path, accounts: Accounts) -> None:
    """Writes the account store atomically (0640: the site server reads it; nothing secret is in it)."""
    data = {"version": FORMAT_VERSION,
            "people": [{"name": p.name, "role": p.role.value, "enabled": p.enabled, "created": p.created,
                        "changed": p.changed} for p in accounts.people],
            "services": [{"name": s.name, "role": s.role, "enabled": s.enabled, "created": s.created,
                          "changed": s.changed} for s in accounts.services]}
    write_atomic(Path(site_dir) / ACCOUNTS_FILE, json.dumps(data, ensure_ascii=False, indent=2) + "\n", 0o640)


def _taken(accounts: Accounts, name: str) -> bool:
    return accounts.person(name) is not None or accounts.service(name) is not None


def add_person(site_dir: Path, name: str, role: Role | str, password: str) -> Person:
    """Adds an enabled person with a new password; AccountError for a bad or taken name, role or password."""
    check_name(name)
    the_role = role_of(role)
    if the_role is None:
        raise AccountError(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)} / 未知角色")
    check_password(password)
    accounts = load_accounts(site_dir)
    if _taken(accounts, name):
        raise AccountError(f"account {name!r} already exists / 账号已存在")
    now = _now()
    person = Person(name, the_role, True, now, now)
    # The hash first: a person in accounts.json without a hash could not sign in, the reverse is harmless.
    hashes = read_hashes(site_dir)
    hashes[name] = hash_password(password)
    _write_hashes(site_dir, hashes)
    save_accounts(site_dir, replace(accounts, people=(*accounts.people, person)))
    return person


def set_password(site_dir: Path, name: str, password: str) -> None:
    """Gives person `name` a new password."""
    check_password(password)
    if load_accounts(site_dir).person(name) is None:
        raise AccountError(f"no person {name!r} / 没有此账号")
    hashes = read_hashes(site_dir)
    hashes[name] = hash_password(password)
    _write_hashes(site_dir, hashes)
    _touch(site_dir, name, enabled=None, role=None)


def set_enabled(site_dir: Path, name: str, enabled: bool) -> None:
    """Enables or disables a person or a service account."""
    _touch(site_dir, name, enabled=enabled, role=None)


def set_role(site_dir: Path, name: str, role: Role | str) -> None:
    """Gives person `name` another role."""
    the_role = role_of(role)
    if the_role is None:
        raise AccountError(f"unknown role {role!r} / 未知角色")
    _touch(site_dir, name, enabled=None, role=the_role)


def _touch(site_dir: Path, name: str, *, enabled: bool | None, role: Role | None) -> None:
    accounts = load_accounts(site_dir)
    now = _now()
    if (p := accounts.person(name)) is not None:
        new_p = replace(p, enabled=p.enabled if enabled is None else enabled, role=role or p.role, changed=now)
        people = tuple(new_p if x.name == name else x for x in accounts.people)
        save_accounts(site_dir, replace(accounts, people=people))
    elif (s := accounts.service(name)) is not None:
        if role is not None:
            raise AccountError(f"{name!r} is a service account; its role is fixed / 服务账号的角色不可更改")
        new_s = replace(s, enabled=s.enabled if enabled is None else enabled, changed=now)
        services = tuple(new_s if x.name == name else x for x in accounts.services)
        save_accounts(site_dir, replace(accounts, services=services))
    else:
        raise AccountError(f"no account {name!r} / 没有此账号")


def add_service(site_dir: Path, name: str, role: str) -> Service:
    """Adds an enabled service account (its certificate is issued by the caller, `site_kit.add_service`)."""
    check_name(name)
    if role not in SERVICE_ROLES:
        raise AccountError(f"unknown service role {role!r}: one of {', '.join(SERVICE_ROLES)} / 未知服务角色")
    accounts = load_accounts(site_dir)
    if _taken(accounts, name):
        raise AccountError(f"account {name!r} already exists / 账号已存在")
    now = _now()
    service = Service(name, role, True, now, now)
    save_accounts(site_dir, replace(accounts, services=(*accounts.services, service)))
    return service


@dataclass(frozen=True, slots=True)
class UserStanding:
    """What the site server needs to know of a person at a request: their role and whether they may act."""

    role: Role
    enabled: bool


class AccountReader:
    """The current role and enabled flag of each person, for the site server to check on every request.

    Cheap to call often: the file is read again only when its modification time (or size) changes, so an
    `admin disable` takes effect at the next request without a restart.
    """

    def __init__(self, site_dir: Path | str) -> None:
        self.path = Path(site_dir) / ACCOUNTS_FILE
        self._stamp: tuple[int, int, int] | None = None
        self._people: dict[str, UserStanding] = {}

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._people = None, {}
            return
        # The inode too: every write renames a new file in, so two writes within the clock's granularity still differ.
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        accounts = load_accounts(self.path.parent)
        self._people = {p.name: UserStanding(p.role, p.enabled) for p in accounts.people}
        self._stamp = stamp

    def standing(self, name: str) -> UserStanding | None:
        """`name`'s role and enabled flag now; None for nobody of that name."""
        self._refresh()
        return self._people.get(name)

    def role_of(self, name: str) -> Role | None:
        """`name`'s role if they exist and are enabled, else None (no powers at all)."""
        s = self.standing(name)
        return s.role if s is not None and s.enabled else None
