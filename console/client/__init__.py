"""The desktop client: Qt widgets wired to the core (the only part of console/ that imports Qt)."""
