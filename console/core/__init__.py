"""The site core: Qt-free services that own drones, docks, tasks, alerts and their journals."""
