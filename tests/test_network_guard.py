import socket

import pytest


def test_outside_connections_are_blocked():
    with pytest.raises(RuntimeError, match="network access blocked"):
        socket.create_connection(("203.0.113.1", 80), timeout=1)


def test_name_lookups_are_blocked():
    with pytest.raises(RuntimeError, match="network access blocked"):
        socket.getaddrinfo("pypi.org", 443)
