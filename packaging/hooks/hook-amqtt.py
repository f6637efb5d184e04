"""PyInstaller hook for amqtt (the demo site's embedded MQTT broker, drones/sim/broker.py).

amqtt finds its plugins at run time, never through a static import:
- by dotted path from the broker config (`amqtt.plugins.authentication.AnonymousAuthPlugin`),
  via `amqtt.utils.import_string`, so the module must be in the bundle;
- through the `amqtt.broker.plugins` / `amqtt.client.plugins` entry points when a config has
  no `plugins` section, so the distribution metadata (entry_points.txt) must be in the bundle.
"""

from PyInstaller.utils.hooks import collect_submodules, copy_metadata


def _wanted(name: str) -> bool:
    # amqtt.contrib: optional plugins for Django/LDAP/JWT/SQL back ends we do not install.
    # amqtt.scripts: the `amqtt` command-line tools (typer, rich); the console never runs them.
    return not name.startswith(("amqtt.contrib", "amqtt.scripts"))


hiddenimports = collect_submodules("amqtt", filter=_wanted)
datas = copy_metadata("amqtt")
