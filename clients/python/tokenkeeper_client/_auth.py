"""The report-and-retry-once loop for requests and httpx, loaded only when they are installed."""

from typing import Any, Dict


def _token_of(view: Dict[str, Any]) -> str:
    return view["token"]


class RequestsAuth:
    """requests.auth.AuthBase (duck-typed, so requests is needed only when used)."""

    def __init__(self, keeper, credential: str, min_validity: int):
        import requests  # noqa: F401  (a clear ImportError here beats one inside a request)
        self._keeper = keeper
        self._credential = credential
        self._min_validity = min_validity

    def __call__(self, request):
        view = self._keeper.view(self._credential, self._min_validity)
        request.headers.update(view["headers"])
        sent = _token_of(view)
        body_position = _body_position(request)

        def on_response(response, **kwargs):
            if response.status_code != 401 or getattr(response.request, "_tokenkeeper_retried", False):
                return response
            replacement = self._keeper.rejected_view(self._credential, sent)
            if replacement["token"] == sent:
                return response
            response.content  # noqa: B018  (frees the connection for the retry)
            response.close()
            retry = response.request.copy()
            retry.headers.update(replacement["headers"])
            retry._tokenkeeper_retried = True
            if body_position is not None:
                retry.body.seek(body_position)
            answer = response.connection.send(retry, **kwargs)
            answer.history.append(response)
            answer.request = retry
            return answer

        request.register_hook("response", on_response)
        return request

    def __eq__(self, other):
        return isinstance(other, RequestsAuth) and other._keeper is self._keeper and other._credential == self._credential

    def __ne__(self, other):
        return not self == other


def _body_position(request):
    body = getattr(request, "body", None)
    if body is not None and hasattr(body, "tell") and hasattr(body, "seek"):
        try:
            return body.tell()
        except OSError:
            return None
    return None


def httpx_auth(keeper, credential: str, min_validity: int):
    import httpx

    class HttpxAuth(httpx.Auth):
        requires_request_body = True

        def auth_flow(self, request):
            view = keeper.view(credential, min_validity)
            request.headers.update(view["headers"])
            response = yield request
            if response.status_code != 401:
                return
            replacement = keeper.rejected_view(credential, view["token"])
            if replacement["token"] == view["token"]:
                return
            request.headers.update(replacement["headers"])
            yield request

    return HttpxAuth()
