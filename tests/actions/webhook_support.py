"""A webhook subscriber for the tests: a real HTTP server on 127.0.0.1 in a thread that records what it receives and
answers what the test asks for (a status, headers, a delay), and checks the signature as a subscriber would."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from retrospector.actions.webhooks import signature_valid


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    signature_ok: bool | None

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class Receiver:
    """`answers` are used in turn (the last one repeats); `secret`, when set, makes it check Retrospector-Signature
    and answer 401 to a delivery whose signature does not verify or is too old."""

    def __init__(self, secret: str | None = None):
        self.secret = secret
        self.received: list[Received] = []
        self.answers: deque[Answer] = deque([Answer()])
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real endpoint would
            disable_nagle_algorithm = True

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver._answer(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self.answers = deque(answers)

    def _answer(self, handler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        ok = None
        if self.secret is not None:
            ok = signature_valid(headers.get("retrospector-signature", ""), self.secret, body)
        with self._lock:
            self.received.append(Received(handler.path, headers, body, ok))
            answer = self.answers.popleft() if len(self.answers) > 1 else self.answers[0]
        if ok is False:
            answer = Answer(401, b"bad signature")
        if answer.delay:
            time.sleep(answer.delay)
        try:
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
        except OSError:  # the client gave up (a timeout test)
            pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
