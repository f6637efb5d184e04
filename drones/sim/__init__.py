"""Site simulator: PX4-like MAVLink vehicles, docks, alerts and camera streams (no Qt)."""
