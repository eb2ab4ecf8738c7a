"""What can go wrong between a program and the tokenkeeper daemon, each with what to do about it."""

from typing import Optional


class TokenKeeperError(Exception):
    """The daemon could not give a token. ``status`` is the HTTP status (None without an answer),
    ``code`` the daemon's error code (such as ``requires_configuration``)."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None):
        super().__init__(message)
        self.status = status
        self.code = code


class DaemonNotRunning(TokenKeeperError):
    """Nothing answered at the address tried: the daemon is not running there (or not yet)."""

    def __init__(self, address: str, reason: str):
        super().__init__(
            "tokenkeeper is not running at %s (%s): start it with `tokenkeeper run` "
            "(or `sudo systemctl start tokenkeeper`), or set TOKENKEEPER_URL to where it listens"
            % (address, reason))
        self.address = address


class NotAllowed(TokenKeeperError):
    """The daemon refused this token: a consumer token asked for a credential it was not given (403),
    or the token itself is wrong (401)."""


class NeedsHuman(TokenKeeperError):
    """The credential cannot be refreshed without a person: import it again. ``command`` is the command
    to run, as the daemon said it (or the usual one)."""

    def __init__(self, message: str, status: int, code: str, command: str):
        super().__init__(message, status, code)
        self.command = command


class Unavailable(TokenKeeperError):
    """A passing failure (the upstream or the store is down, too many reports): ask again later.
    ``retry_after`` is in seconds when the daemon said so."""

    def __init__(self, message: str, status: int, code: Optional[str], retry_after: Optional[int]):
        super().__init__(message, status, code)
        self.retry_after = retry_after
