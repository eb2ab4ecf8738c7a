"""The daemon, the imitations and their control come from the JUnit test that runs this suite
(inprocess ConsumerClientsTest); every address and file arrives in a TK_TEST_* variable."""

import json
import os
import urllib.request

import pytest


def _need(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail("%s is not set: run this suite through ConsumerClientsTest (./mvnw verify)" % name)
    return value


class Rig:
    def __init__(self):
        self.url = _need("TK_TEST_URL")
        self.admin_token_file = _need("TK_TEST_ADMIN_TOKEN_FILE")
        self.consumer_token_file = _need("TK_TEST_PY_CONSUMER_TOKEN_FILE")
        self.tls_url = _need("TK_TEST_TLS_URL")
        self.tls_token_file = _need("TK_TEST_TLS_TOKEN_FILE")
        self.ca_file = _need("TK_TEST_CA_FILE")
        self.unix_url = _need("TK_TEST_UNIX_URL")
        self.unix_token_file = _need("TK_TEST_UNIX_TOKEN_FILE")
        self.dead_url = _need("TK_TEST_DEAD_URL")
        self.gazelle_api = _need("TK_TEST_GAZELLE_API")
        self.vinted_api = _need("TK_TEST_VINTED_API")
        self.control = _need("TK_TEST_CONTROL")

    def control_call(self, path, method="POST"):
        request = urllib.request.Request(self.control + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read().decode("utf-8") or "null")

    def revoke_access(self, account):
        self.control_call("/gazelle/%s/revoke-access" % account)

    def later(self):
        """Moves the daemon's clock past its minimum interval between refreshes."""
        self.control_call("/later")

    def refreshes(self):
        return self.control_call("/gazelle/refreshes", method="GET")


@pytest.fixture(scope="session")
def rig():
    return Rig()
