"""Ask a tokenkeeper daemon for a fresh token; on an upstream 401, report it and retry once.

    from tokenkeeper_client import TokenKeeper
    keeper = TokenKeeper()
    requests.get(url, auth=keeper.auth("gazelle:default"))
"""

from ._keeper import TokenKeeper
from .errors import DaemonNotRunning, NeedsHuman, NotAllowed, TokenKeeperError, Unavailable

__all__ = ["TokenKeeper", "TokenKeeperError", "DaemonNotRunning", "NotAllowed", "NeedsHuman", "Unavailable"]
__version__ = "0.1.0"
