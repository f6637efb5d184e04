"""Entry point of the Qingdao low-altitude command console; see `python main.py --help`."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"]:
        from console.sim_main import sim_main

        return sim_main(argv[1:])
    if argv[:1] == ["admin"]:
        from console.security.admin_cli import admin_main

        return admin_main(argv[1:])
    if argv[:1] == ["server"]:
        from console.server.server_main import server_main

        return server_main(argv[1:])
    from console.client.app import app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
