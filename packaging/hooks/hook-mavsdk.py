"""PyInstaller hook for mavsdk 4.x (the native binding; PyInstaller and its contrib hooks have none).

mavsdk loads its C library with ctypes from `Path(mavsdk.__file__).parent / "lib"`, so the
library must land in `mavsdk/lib/` inside the bundle, or the first `import mavsdk` raises
LibraryNotFoundError (docs/architecture.md, "Offline bundle"). `mavsdk.__version__` is read from the
distribution metadata, hence `copy_metadata`.
"""

from PyInstaller.utils.hooks import collect_dynamic_libs, collect_submodules, copy_metadata

binaries = collect_dynamic_libs("mavsdk", destdir="mavsdk/lib")
datas = copy_metadata("mavsdk")

# The console imports `mavsdk` lazily (drones/fleet.py) and will import its
# plugins (action, telemetry, mission, ...) one by one; take the whole async API and the sync
# plugin modules it wraps, so a new `from mavsdk.asyncio.plugins.X import ...` needs no spec change.


def _importable(name: str) -> bool:
    # mavsdk 4.1.0 ships component_metadata_server broken (it imports a name its sync module
    # lacks), so importing it fails from source too; leave it out instead of warning each build.
    return ".component_metadata_server" not in name


hiddenimports = (
    ["mavsdk.asyncio"]
    + collect_submodules("mavsdk.asyncio", filter=_importable)
    + collect_submodules("mavsdk.plugins", filter=_importable)
)
