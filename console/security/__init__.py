"""The site security kit (docs/security.md): the site's certificate authority and certificates, its account store,
the broker's password and ACL files derived from `console.core.roles`, the `main.py admin` commands and a runnable
secured Mosquitto. Qt-free: it runs on the broker host and in the site server."""
