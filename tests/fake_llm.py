"""A local HTTP server speaking the OpenAI chat-completions protocol with scripted answers: the one
fake in the answer tests. It streams as real servers do (SSE `data: {...}` chunks, `data: [DONE]`)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KNOWN_MODEL = "scripted-model"
API_KEY = "test-key-123"


class FakeLLM:
    """Set `reply` (the answer text), `status` (an HTTP error to send instead), `delay` (seconds to
    stall before answering) or `require_key`; read `requests` (the JSON bodies received)."""

    def __init__(self) -> None:
        self.reply = ""
        self.status = 200
        self.delay = 0.0
        self.require_key = False
        self.ignore_stream = False  # answer a streaming request with one JSON body, as some servers do
        self.requests: list[dict] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def reset(self) -> None:
        self.reply, self.status, self.delay, self.require_key, self.ignore_stream = "", 200, 0.0, False, False
        self.requests.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            fake.requests.append(body)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                self._answer(body)

        def _answer(self, body: dict) -> None:
            if fake.delay:
                time.sleep(fake.delay)
            if self.path != "/v1/chat/completions":
                return self._error(404, "404 page not found")
            if fake.require_key and self.headers.get("Authorization") != f"Bearer {API_KEY}":
                return self._error(401, "Incorrect API key provided")
            if body.get("model") != KNOWN_MODEL:
                return self._error(404, f'model "{body.get("model")}" not found, try pulling it first')
            if fake.status != 200:
                return self._error(fake.status, "Rate limit reached for requests", {"Retry-After": "7"})
            if body.get("stream") and not fake.ignore_stream:
                return self._stream(fake.reply)
            message = {"role": "assistant", "content": fake.reply}
            self._json(200, {"object": "chat.completion", "choices": [{"index": 0, "message": message}]})

        def _stream(self, reply: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()  # no length: the stream ends when the connection closes (HTTP/1.0)
            deltas = [{"role": "assistant"}] + [{"content": reply[i : i + 7]} for i in range(0, len(reply), 7)]
            for delta in deltas:
                chunk = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            last = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())

        def _error(self, code: int, message: str, headers: dict | None = None) -> None:
            self._json(code, {"error": {"message": message, "type": "error"}}, headers)

        def _json(self, code: int, obj: dict, headers: dict | None = None) -> None:
            data = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
