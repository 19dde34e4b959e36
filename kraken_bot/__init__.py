"""Entry points and composition root of Kraken Bot.

Django settings, the ASGI application, URL routes, the health view, the admin site and the
management commands live here. This is the only package that wires the layers together, so it may
import every other package of the project (`slack`, `application`, `agents`, `domain`, `data`);
nothing imports it except Django itself.
"""
