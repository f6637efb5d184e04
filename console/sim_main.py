"""`main.py sim`: argument handling and logging around the simulator runner."""

from __future__ import annotations

import asyncio

from console.cli import build_sim_parser
from console.logging_setup import setup_logging
from drones.sim.runner import SimOptions, run_sim, set_parent_death_signal
from drones.site import parse_broker_url


def sim_main(argv: list[str]) -> int:
    args = build_sim_parser().parse_args(argv)
    if args.broker:
        try:
            parse_broker_url(args.broker)
        except ValueError as exc:
            build_sim_parser().error(str(exc))
    setup_logging(verbose=args.verbose, name="sim")
    if args.child:
        set_parent_death_signal()
    opts = SimOptions(broker_url=args.broker, embedded_host=args.embedded_host, embedded_port=args.embedded_port,
                      time_scale=args.time_scale, watch_stdin=args.child)
    return asyncio.run(run_sim(opts))
