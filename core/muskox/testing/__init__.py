"""Test support for muskox and its plugin authors: a pytest plugin with real-server fixtures.

Installed with muskox as the pytest plugin ``muskox.testing`` (entry point ``pytest11``); the fixtures start
real servers on free loopback ports in temporary directories and always stop them. A server that cannot start
fails the test loudly; nothing is skipped.
"""
