"""moto_server whose conditional puts are atomic, as S3's are.

S3 checks If-None-Match (or If-Match) and stores the object as one step: of two writers putting the same key with
If-None-Match: *, one gets 412. moto checks, then stores, on a threaded server, so two such puts arriving together can
both succeed, and a test of writers racing for one Delta version then sees two winners (the store's fault, not the
writers'). This runs moto's own server with the conditional puts taken one at a time; every other request stays
concurrent.

Usage: python3 moto_server_atomic.py <host> <port>
"""
import sys
import threading

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class ConditionalPutsInTurn:
    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        conditional = environ.get("REQUEST_METHOD") == "PUT" and (
            "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MATCH" in environ)
        if not conditional:
            return self._app(environ, start_response)
        with self._lock:
            # The whole answer is produced inside the lock: the check and the store happen while it is held.
            return list(self._app(environ, start_response))


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, ConditionalPutsInTurn(app), threaded=True)


if __name__ == "__main__":
    main()
