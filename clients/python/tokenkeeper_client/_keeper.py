"""TokenKeeper: a token from the daemon, and a replacement when the upstream rejects it."""

import hashlib
import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple
from urllib.parse import quote

from ._transport import Transport
from .errors import NeedsHuman, NotAllowed, TokenKeeperError, Unavailable

DEFAULT_URL = "http://127.0.0.1:8787"
# The daemon answers a consumer within its upstream timeout (30 s by default) plus one second.
DEFAULT_TIMEOUT = 35.0
DEFAULT_CONNECT_TIMEOUT = 2.0
# How long a replacement is remembered: other requests that met the 401 with the same token at
# the same moment get it without one more report.
_REPLACEMENT_MEMORY_SECONDS = 60.0
_COMMAND = re.compile(r"`(tokenkeeper [^`]+)`|(tokenkeeper (?:import|authorize|login|cookiecloud) [^;:,)]+)")


class TokenKeeper:
    """A client of one tokenkeeper daemon.

    ``url``: ``http://host:port``, ``https://host:port`` or ``unix:/path/to.sock``
    (``TOKENKEEPER_URL``, else ``http://127.0.0.1:8787``). ``token_file``: a consumer token or the
    admin token (``TOKENKEEPER_TOKEN_FILE``, else the admin token in the daemon's state folder).
    ``ca_file``: the CA of a daemon serving HTTPS with a private certificate (``TOKENKEEPER_CA_FILE``).
    """

    def __init__(self, url: Optional[str] = None, token_file: Optional[str] = None,
                 ca_file: Optional[str] = None, timeout: float = DEFAULT_TIMEOUT,
                 connect_timeout: float = DEFAULT_CONNECT_TIMEOUT):
        url = url or os.environ.get("TOKENKEEPER_URL") or DEFAULT_URL
        ca_file = ca_file or os.environ.get("TOKENKEEPER_CA_FILE") or None
        self._transport = Transport(url.rstrip("/"), ca_file, timeout, connect_timeout)
        self._bearer = _read_bearer(token_file or os.environ.get("TOKENKEEPER_TOKEN_FILE"))
        self._locks: Dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        self._replacements: Dict[Tuple[str, str], Tuple[float, Dict[str, Any]]] = {}

    def __repr__(self) -> str:
        return "TokenKeeper(%s)" % self._transport.address

    @property
    def address(self) -> str:
        """Where the daemon is asked."""
        return self._transport.address

    def token(self, credential: str, min_validity: int = 60) -> str:
        """The credential's current token, valid for at least ``min_validity`` seconds (the daemon
        refreshes it first if needed)."""
        return self.view(credential, min_validity)["token"]

    def headers(self, credential: str, min_validity: int = 60) -> Dict[str, str]:
        """The headers to send upstream with the current token (``Authorization``, or ``Cookie``
        and friends for a browser session)."""
        return dict(self.view(credential, min_validity)["headers"])

    def view(self, credential: str, min_validity: int = 60) -> Dict[str, Any]:
        """The daemon's whole answer: ``token``, ``headers``, ``expiresAt``, ``version``."""
        path = "/api/v1/credentials/%s/token?minValidity=%d" % (quote(credential, safe=":"), int(min_validity))
        return self._call("GET", path, credential)

    def rejected(self, credential: str, token: str) -> str:
        """Reports that the upstream rejected ``token`` (a 401) and answers its replacement. Several
        threads reporting the same token at once send one report."""
        return self.rejected_view(credential, token)["token"]

    def rejected_view(self, credential: str, token: str) -> Dict[str, Any]:
        """Like :meth:`rejected`, with the daemon's whole answer (``token`` and ``headers``)."""
        key = (credential, hashlib.sha256(token.encode("utf-8")).hexdigest())
        with self._lock(credential):
            now = time.monotonic()
            remembered = self._replacements.get(key)
            if remembered is not None and now - remembered[0] < _REPLACEMENT_MEMORY_SECONDS:
                return remembered[1]
            path = "/api/v1/credentials/%s/rejected" % quote(credential, safe=":")
            answer = self._call("POST", path, credential, {"token": token})
            self._replacements = {k: v for k, v in self._replacements.items()
                                  if now - v[0] < _REPLACEMENT_MEMORY_SECONDS}
            self._replacements[key] = (now, answer)
            return answer

    def auth(self, credential: str, min_validity: int = 60):
        """A ``requests`` auth: the current token on each request; on a 401, report, take the
        replacement and send the request once more."""
        from ._auth import RequestsAuth
        return RequestsAuth(self, credential, min_validity)

    def httpx_auth(self, credential: str, min_validity: int = 60):
        """An ``httpx.Auth`` doing the same as :meth:`auth` (the daemon calls block: in an async
        client they are short local calls)."""
        from ._auth import httpx_auth
        return httpx_auth(self, credential, min_validity)

    def _lock(self, credential: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(credential, threading.Lock())

    def _call(self, method: str, path: str, credential: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        status, headers, answer = self._transport.request(method, path, self._bearer, body)
        if 200 <= status < 300 and isinstance(answer, dict) and "token" in answer:
            return answer
        code = answer.get("error") if isinstance(answer, dict) else None
        message = answer.get("message") if isinstance(answer, dict) else None
        said = message or "HTTP %d" % status
        if status == 401:
            raise NotAllowed("tokenkeeper at %s refused the bearer token (%s): TOKENKEEPER_TOKEN_FILE must hold a "
                             "consumer token (`tokenkeeper consumer add NAME --credential %s`) or the admin token"
                             % (self.address, said, credential), status, code)
        if status == 403:
            raise NotAllowed("this token may not read %s (%s): give the consumer that credential "
                             "(`tokenkeeper consumer add NAME --credential %s`) or use its own token"
                             % (credential, said, credential), status, code)
        if status == 404:
            raise TokenKeeperError("tokenkeeper has no credential %s (%s): `tokenkeeper status` lists them"
                                   % (credential, said), status, code)
        if status == 409:
            command = _command(said, credential)
            hint = "" if command in said else "; run `%s`" % command
            raise NeedsHuman("%s needs a person: %s%s" % (credential, said, hint), status, code, command)
        if status in (429, 503):
            retry = headers.get("retry-after")
            raise Unavailable("tokenkeeper cannot give %s a token now (%s): ask again later"
                              % (credential, said), status, code, int(retry) if retry and retry.isdigit() else None)
        raise TokenKeeperError("tokenkeeper answered %d for %s (%s)" % (status, credential, said), status, code)


def _command(message: str, credential: str) -> str:
    found = _COMMAND.search(message)
    if found:
        return (found.group(1) or found.group(2)).strip()
    provider, _, account = credential.partition(":")
    return "tokenkeeper import %s --account %s" % (provider, account or "default")


def _read_bearer(token_file: Optional[str]) -> str:
    candidates = [token_file] if token_file else _default_token_files()
    for candidate in candidates:
        path = Path(candidate)
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            if token_file:
                raise TokenKeeperError("TOKENKEEPER_TOKEN_FILE %s does not exist: give it the consumer token "
                                       "`tokenkeeper consumer add NAME --credential ID` printed" % candidate) from None
            continue
        except PermissionError:
            raise TokenKeeperError("%s cannot be read by this user: give the program a consumer token of its own "
                                   "(`tokenkeeper consumer add NAME --credential ID`) in a file it can read, and set "
                                   "TOKENKEEPER_TOKEN_FILE" % candidate) from None
        if not text:
            raise TokenKeeperError("%s is empty: it must hold a consumer token or the admin token" % candidate)
        return text
    raise TokenKeeperError("no token file: set TOKENKEEPER_TOKEN_FILE to a consumer token file "
                           "(`tokenkeeper consumer add NAME --credential ID` prints one) or to the admin token "
                           "(tried %s)" % ", ".join(candidates))


def _default_token_files():
    state = os.environ.get("TOKENKEEPER_STATE_DIR")
    if state:
        return [os.path.join(state, "admin-token")]
    xdg = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return [os.path.join(xdg, "tokenkeeper", "admin-token")]
