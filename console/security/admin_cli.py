"""`main.py admin ...`: the site's offline account and certificate commands for IT staff (docs/security.md).

Each sub-command is one `AdminCommand` in `COMMANDS`; another module adds its own (say `verify-audit`) with
`register(AdminCommand(...))` before `admin_main` runs, and it gets `--site-dir` and the exit-code rules for free.

Exit codes: 0 done; 2 bad input (one line on stderr, in English and Chinese); 1 something else failed (a file
that cannot be written). Passwords are read with getpass (twice, they must match) or, with `--password-stdin`,
as the first line of standard input; they are never printed, logged or put on a command line.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from console.core.roles import SERVICE_ROLES, Role
from console.security import accounts as acc
from console.security import site_kit

#: Where `--site-dir` defaults to when not given: this variable, else the current directory.
SITE_DIR_ENV = "QD_SITE_SECURITY_DIR"


class InputError(Exception):
    """Bad input: exit code 2 with this one-line message."""


@dataclass(frozen=True, slots=True)
class AdminCommand:
    """One `main.py admin` sub-command: its arguments and what it does (returns the exit code)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    #: Whether it works on an existing site directory (and so takes `--site-dir`).
    needs_site_dir: bool = True


COMMANDS: dict[str, AdminCommand] = {}


def register(command: AdminCommand) -> AdminCommand:
    """Adds a sub-command to `main.py admin` (a later one of the same name replaces the earlier)."""
    COMMANDS[command.name] = command
    return command


def _err(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def read_password(args: argparse.Namespace, who: str) -> str:
    """A new password for `who`: stdin's first line with --password-stdin, else asked twice on the terminal."""
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise InputError("no password on standard input / 标准输入中没有密码")
        return password
    if not sys.stdin.isatty():
        raise InputError("no terminal to ask the password on: use --password-stdin / 无终端，请使用 --password-stdin")
    first = getpass.getpass(f"New password for {who} / 新密码: ")
    second = getpass.getpass("Again / 再次输入: ")
    if first != second:
        raise InputError("the two passwords differ / 两次输入的密码不一致")
    return first


def site_dir_of(args: argparse.Namespace) -> Path:
    d = Path(args.site_dir or os.environ.get(SITE_DIR_ENV) or ".")
    site_kit.kit_settings(d)  # a clear error when it is not a site directory
    return d


def _changed(site_dir: Path, what: str) -> int:
    pids = site_kit.apply_account_change(site_dir)
    reload_note = f"broker reloaded (pid {', '.join(map(str, pids))})" if pids else "no running broker to reload"
    print(f"{what}; passwd and acl rewritten; {reload_note}")
    return 0


# --- the sub-commands ------------------------------------------------------------------------------------------

def _init_site_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="the new site security directory (empty or absent)")
    p.add_argument("--host", action="append", default=[], metavar="NAME",
                   help="a host name or IP address consoles use to reach the broker (repeatable; localhost and "
                        "127.0.0.1 are always included); the first goes into the site-file snippets")
    p.add_argument("--admin", default="admin", metavar="NAME", help="the first administrator's account (default admin)")
    p.add_argument("--topic-root", default="qdcb", metavar="ROOT", help="the site's topic root (default qdcb)")
    p.add_argument("--port-people", type=int, default=8883, metavar="PORT",
                   help="TLS listener for people, passwords (default 8883)")
    p.add_argument("--port-services", type=int, default=8884, metavar="PORT",
                   help="TLS listener for services, client certificates (default 8884)")
    p.add_argument("--password-stdin", action="store_true", help="read the admin's password from standard input")


def _init_site(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not an empty directory / 目录已存在且非空")
    acc.check_name(args.admin)
    password = read_password(args, args.admin)
    made = site_kit.init_site(out, topic_root=args.topic_root, hosts=list(args.host), admin_name=args.admin,
                              admin_password=password, port_people=args.port_people,
                              port_services=args.port_services)
    print(f"site security directory written: {made} (admin {args.admin!r}); see docs/security.md to install it")
    return 0


def _add_user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="account name: 1-32 of a-z 0-9 . _ -")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def _add_user(args: argparse.Namespace) -> int:
    d = site_dir_of(args)
    acc.check_name(args.name)
    acc.add_person(d, args.name, args.role, read_password(args, args.name))
    return _changed(d, f"user {args.name!r} added as {args.role}")


def _passwd_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")


def _passwd(args: argparse.Namespace) -> int:
    d = site_dir_of(args)
    if acc.load_accounts(d).person(args.name) is None:
        raise InputError(f"no person {args.name!r} / 没有此账号")
    acc.set_password(d, args.name, read_password(args, args.name))
    return _changed(d, f"password of {args.name!r} changed")


def _name_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")


def _disable(args: argparse.Namespace) -> int:
    d = site_dir_of(args)
    acc.set_enabled(d, args.name, False)
    return _changed(d, f"{args.name!r} disabled")


def _enable(args: argparse.Namespace) -> int:
    d = site_dir_of(args)
    acc.set_enabled(d, args.name, True)
    return _changed(d, f"{args.name!r} enabled")


def _set_role_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])


def _set_role(args: argparse.Namespace) -> int:
    d = site_dir_of(args)
    acc.set_role(d, args.name, args.role)
    return _changed(d, f"{args.name!r} is now {args.role}")


def _list(args: argparse.Namespace) -> int:
    d = site_dir_of(args)
    a = acc.load_accounts(d)
    print(f"{'name':<32} {'kind':<8} {'role':<11} {'state':<9} changed")
    for p in a.people:
        print(f"{p.name:<32} {'person':<8} {p.role.value:<11} {'enabled' if p.enabled else 'disabled':<9} {p.changed}")
    for s in a.services:
        print(f"{s.name:<32} {'service':<8} {s.role:<11} {'enabled' if s.enabled else 'disabled':<9} {s.changed}")
    return 0


def _add_service_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=list(SERVICE_ROLES))


def _add_service(args: argparse.Namespace) -> int:
    d = site_dir_of(args)
    issued = site_kit.add_service(d, args.name, args.role)
    pids = site_kit.reload_broker(d)
    print(f"service {args.name!r} ({args.role}) added: certificate {issued.cert}, key {issued.key}; "
          + ("broker reloaded" if pids else "no running broker to reload"))
    return 0


for _command in (
    AdminCommand("init-site", "make a new site security directory: CA, certificates, broker configuration, first admin",
                 _init_site_args, _init_site, needs_site_dir=False),
    AdminCommand("add-user", "add a person with a role", _add_user_args, _add_user),
    AdminCommand("passwd", "change a person's password", _passwd_args, _passwd),
    AdminCommand("disable", "disable a person or service account (the broker refuses it from now on)", _name_arg,
                 _disable),
    AdminCommand("enable", "enable a disabled account again", _name_arg, _enable),
    AdminCommand("set-role", "give a person another role", _set_role_args, _set_role),
    AdminCommand("list", "list the accounts (no passwords: none are stored)", lambda p: None, _list),
    AdminCommand("add-service", "add a service account and issue its client certificate", _add_service_args,
                 _add_service),
):
    register(_command)


def build_admin_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="main.py admin", description="Site accounts and certificates (offline, on the "
                                "broker host). See docs/security.md. / 站点账号与证书管理",
                                epilog="The audit trail: `main.py admin verify-audit --help`, "
                                       "`main.py admin export-audit --help` (the server's journal).")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for c in COMMANDS.values():
        sp = sub.add_parser(c.name, help=c.help, description=c.help)
        if c.needs_site_dir:
            sp.add_argument("--site-dir", metavar="DIR",
                            help=f"the site security directory (default: ${SITE_DIR_ENV}, else the current directory)")
        c.add_arguments(sp)
    return p


#: The audit trail's commands: they read the server's journal, not the site security directory.
AUDIT_COMMANDS = ("verify-audit", "export-audit")


def admin_main(argv: list[str]) -> int:
    """Runs one `main.py admin` command; the exit code."""
    if argv[:1] and argv[0] in AUDIT_COMMANDS:
        from console.audit_cli import main as audit_main

        return audit_main(argv)
    args = build_admin_parser().parse_args(argv)  # argparse exits 2 on bad usage, with its own line
    try:
        return COMMANDS[args.command].run(args)
    except (InputError, acc.AccountError, site_kit.KitError) as exc:
        _err(str(exc))
        return 2
    except KeyboardInterrupt:
        _err("interrupted / 已中断")
        return 2
    except OSError as exc:
        _err(f"{exc} / 文件操作失败")
        return 1
