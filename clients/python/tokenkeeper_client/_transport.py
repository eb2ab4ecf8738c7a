"""One request to the daemon over TCP, TLS or a Unix socket, with bounded waits."""

import http.client
import json
import socket
import ssl
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from .errors import DaemonNotRunning, TokenKeeperError


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float, connect_timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path
        self._connect_timeout = connect_timeout

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._connect_timeout)
            sock.connect(self._path)
            sock.settimeout(self.timeout)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class Transport:
    """Where the daemon listens: ``http://host:port``, ``https://host:port`` or ``unix:/path``."""

    def __init__(self, url: str, ca_file: Optional[str], timeout: float, connect_timeout: float):
        self.address = url
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        if url.startswith("unix:"):
            self._unix = url[len("unix:"):]
            if not self._unix.startswith("/"):
                raise TokenKeeperError("TOKENKEEPER_URL %r needs an absolute socket path, "
                                       "e.g. unix:/run/tokenkeeper/tokenkeeper.sock" % url)
            return
        self._unix = None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TokenKeeperError("TOKENKEEPER_URL %r is not http(s)://host:port or unix:/path/to.sock" % url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._tls = None
        if self._https:
            self._tls = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()

    def _connection(self) -> http.client.HTTPConnection:
        if self._unix is not None:
            return _UnixConnection(self._unix, self._timeout, self._connect_timeout)
        if self._https:
            return _BoundedConnect(http.client.HTTPSConnection, self._host, self._port, self._timeout,
                                   self._connect_timeout, self._tls).connection
        return _BoundedConnect(http.client.HTTPConnection, self._host, self._port, self._timeout,
                               self._connect_timeout, None).connection

    def request(self, method: str, path: str, bearer: str,
                body: Optional[Dict[str, Any]] = None) -> Tuple[int, Dict[str, str], Any]:
        """Sends one request; answers (status, headers, parsed JSON body or None)."""
        connection = self._connection()
        headers = {"Authorization": "Bearer " + bearer, "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            try:
                connection.request(method, path, body=payload, headers=headers)
            except (ConnectionRefusedError, FileNotFoundError, socket.timeout) as e:
                raise DaemonNotRunning(self.address, _reason(e)) from None
            except ssl.SSLError as e:
                raise TokenKeeperError("TLS with tokenkeeper at %s failed (%s): set TOKENKEEPER_CA_FILE to the CA "
                                       "that signed its certificate" % (self.address, e.reason)) from None
            except OSError as e:
                raise DaemonNotRunning(self.address, _reason(e)) from None
            try:
                response = connection.getresponse()
                raw = response.read()
            except socket.timeout:
                raise TokenKeeperError("tokenkeeper at %s did not answer within %g s" % (self.address, self._timeout)) from None
            except (OSError, http.client.HTTPException) as e:
                raise TokenKeeperError("tokenkeeper at %s closed the connection (%s)" % (self.address, _reason(e))) from None
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            parsed = None
            if raw:
                try:
                    parsed = json.loads(raw.decode("utf-8"))
                except ValueError:
                    parsed = None
            return response.status, answer_headers, parsed
        finally:
            connection.close()


class _BoundedConnect:
    """An http.client connection whose connect waits at most connect_timeout, then reads wait timeout."""

    def __init__(self, kind, host, port, timeout, connect_timeout, tls):
        if tls is not None:
            self.connection = kind(host, port, timeout=connect_timeout, context=tls)
        else:
            self.connection = kind(host, port, timeout=connect_timeout)
        original = self.connection.connect
        connection = self.connection

        def connect():
            original()
            connection.sock.settimeout(timeout)

        self.connection.connect = connect


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout):
        return "no answer to connect"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, FileNotFoundError):
        return "no such socket"
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return text
