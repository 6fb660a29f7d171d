"""What a failed download says: :class:`DownloadError` with a plain reason for each network
failure, :class:`DownloadCancelled`, and a cheap probe for being offline.

Standard library only, like the downloader.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

from latentlab.core.data.dataset import DatasetError

# Failing to connect for these reasons usually means no network at all, not a broken server.
_OFFLINE_ERRNOS = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.ECONNREFUSED}


class DownloadError(DatasetError):
    """A file could not be fetched; the message names the file, the URL and the reason.

    ``offline`` is true when no connection could be made at all (the host name did not resolve,
    the network was unreachable, the connection was refused or timed out), so the GUI can say
    "you appear to be offline" and offer local files instead.
    """

    def __init__(self, message: str, *, filename: str = "", url: str = "", reason: str = "",
                 offline: bool = False) -> None:
        super().__init__(message)
        self.filename = filename
        self.url = url
        self.reason = reason
        self.offline = offline


class DownloadCancelled(Exception):
    """The cancel event was set. Finished files stay; the unfinished one stays as ``.part``."""


def describe_failure(exc: BaseException, timeout: float) -> tuple[str, bool]:
    """A plain reason for a network failure, and whether it looks like being offline."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered HTTP {exc.code} {exc.reason}", False
    if isinstance(exc, urllib.error.URLError):
        # urllib wraps failures while connecting and sending; nothing was received yet.
        reason = exc.reason
        if isinstance(reason, socket.gaierror):
            return "the host name could not be resolved", True
        if isinstance(reason, TimeoutError):
            return f"could not connect within {timeout:g} s", True
        if isinstance(reason, ssl.SSLError):
            return f"the secure connection failed ({reason})", False
        if isinstance(reason, ConnectionRefusedError):
            return "the connection was refused", True
        if isinstance(reason, OSError):
            return (f"could not connect ({reason.strerror or reason})",
                    reason.errno in _OFFLINE_ERRNOS)
        return f"could not connect ({reason})", False
    if isinstance(exc, TimeoutError):
        return f"the server sent nothing for {timeout:g} s (timed out)", False
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering", False
    if isinstance(exc, http.client.HTTPException):
        return f"the transfer broke off ({type(exc).__name__}: {exc})", False
    if isinstance(exc, OSError):
        return f"the connection failed ({exc.strerror or exc})", False
    return str(exc), False


def appears_offline(urls: Iterable[str], timeout: float = 3.0) -> bool:
    """True when no host behind ``urls`` (or the proxy in use) accepts a TCP connection.

    A cheap check the GUI can run before offering downloads; False when there is nothing to ask.
    """
    proxies = urllib.request.getproxies()
    endpoints: dict[tuple[str, int], None] = {}
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if not parts.hostname:
            continue
        proxy = proxies.get(parts.scheme)
        if proxy and not urllib.request.proxy_bypass(parts.hostname):
            parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if parts.hostname:
            default_port = 443 if parts.scheme == "https" else 80
            endpoints[(parts.hostname, parts.port or default_port)] = None
    if not endpoints:
        return False
    for host, port in endpoints:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return False
        except OSError:
            continue
    return True


__all__ = ["DownloadCancelled", "DownloadError", "appears_offline", "describe_failure"]
