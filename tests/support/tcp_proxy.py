"""The loopback TCP proxy the tests cut, blackhole and slow: the test kit's, which the soak uses
too."""

from taskwire.testkit.tcp_proxy import TcpProxy, proxied_url

__all__ = ["TcpProxy", "proxied_url"]
