import concurrent.futures
import json
import time
import urllib.request

import httpx
import pytest
import requests

from tokenkeeper_client import DaemonNotRunning, NeedsHuman, NotAllowed, TokenKeeper


def gazelle_call(rig, headers):
    """One call to the Gazelle imitation's API: its status."""
    request = urllib.request.Request(rig.gazelle_api, method="POST", data=b'{"query":"{__typename}"}',
                                     headers=dict(headers, **{"Content-Type": "application/json"}))
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_token_is_served_with_its_headers(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.admin_token_file)
    token = keeper.token("gazelle:py1")
    assert token
    assert keeper.headers("gazelle:py1") == {"Authorization": "Bearer " + token}
    assert gazelle_call(rig, keeper.headers("gazelle:py1")) == 200
    assert token not in repr(keeper)


def test_a_vinted_session_comes_as_cookie_headers(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.admin_token_file)
    headers = keeper.headers("vinted:default")
    assert "Cookie" in headers
    request = urllib.request.Request(rig.vinted_api, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_environment_variables_choose_daemon_and_token(rig, monkeypatch):
    monkeypatch.setenv("TOKENKEEPER_URL", rig.url)
    monkeypatch.setenv("TOKENKEEPER_TOKEN_FILE", rig.consumer_token_file)
    assert TokenKeeper().token("gazelle:py1")


def test_a_rejected_token_is_reported_refreshed_once_and_the_request_retried_once(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.consumer_token_file)
    before = keeper.token("gazelle:py1")
    rig.revoke_access("py1")
    refreshes = rig.refreshes()
    answer = requests.post(rig.gazelle_api, json={"query": "{__typename}"}, auth=keeper.auth("gazelle:py1"), timeout=10)
    assert answer.status_code == 200
    assert [r.status_code for r in answer.history] == [401]
    assert rig.refreshes() == refreshes + 1
    assert keeper.token("gazelle:py1") != before


def test_the_retry_happens_once_only(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.admin_token_file)
    # An upstream that rejects every token: one report, one retry, then the 401 goes to the caller.
    session = requests.Session()
    rig.later()
    refreshes = rig.refreshes()
    refused = rig.control_call("/always-401/count", method="GET")
    answer = session.get(rig.control + "/always-401", auth=keeper.auth("gazelle:py401"), timeout=10)
    assert answer.status_code == 401
    assert len(answer.history) == 1
    assert rig.control_call("/always-401/count", method="GET") == refused + 2
    assert rig.refreshes() == refreshes + 1


def test_twenty_concurrent_requests_meeting_the_401_cause_one_refresh(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.admin_token_file)
    keeper.token("gazelle:py20")
    rig.revoke_access("py20")
    refreshes = rig.refreshes()
    auth = keeper.auth("gazelle:py20")

    def one(_):
        return requests.post(rig.gazelle_api, json={"query": "{__typename}"}, auth=auth, timeout=20).status_code

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(one, range(20)))
    assert statuses == [200] * 20
    assert rig.refreshes() == refreshes + 1


def test_httpx_auth_reports_and_retries(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.admin_token_file)
    keeper.token("gazelle:pyx")
    rig.revoke_access("pyx")
    refreshes = rig.refreshes()
    with httpx.Client(timeout=10) as client:
        answer = client.post(rig.gazelle_api, json={"query": "{__typename}"}, auth=keeper.httpx_auth("gazelle:pyx"))
    assert answer.status_code == 200
    assert rig.refreshes() == refreshes + 1


def test_a_scoped_consumer_asking_for_another_credential_gets_not_allowed(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.consumer_token_file)
    with pytest.raises(NotAllowed) as raised:
        keeper.token("gazelle:py20")
    assert raised.value.status == 403
    assert "consumer add" in str(raised.value)


def test_a_daemon_that_is_not_running_is_said_so_within_two_seconds(rig):
    keeper = TokenKeeper(url=rig.dead_url, token_file=rig.admin_token_file)
    started = time.monotonic()
    with pytest.raises(DaemonNotRunning) as raised:
        keeper.token("gazelle:py1")
    assert time.monotonic() - started < 2.0
    assert rig.dead_url in str(raised.value)
    assert "tokenkeeper run" in str(raised.value)


def test_tls_with_a_private_ca(rig):
    keeper = TokenKeeper(url=rig.tls_url, token_file=rig.tls_token_file, ca_file=rig.ca_file)
    assert keeper.token("gazelle:tls")


def test_the_unix_socket(rig):
    keeper = TokenKeeper(url=rig.unix_url, token_file=rig.unix_token_file)
    assert keeper.token("gazelle:unix")


def test_a_credential_that_needs_a_person_says_what_to_run(rig):
    keeper = TokenKeeper(url=rig.url, token_file=rig.admin_token_file)
    token = keeper.token("gazelle:pydead")
    rig.control_call("/gazelle/pydead/revoke-chain")
    with pytest.raises(NeedsHuman) as raised:
        keeper.rejected("gazelle:pydead", token)
    assert raised.value.status == 409
    assert raised.value.command == "tokenkeeper authorize gazelle"
    assert raised.value.command in str(raised.value)
