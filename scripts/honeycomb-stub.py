"""A local stand-in for Honeycomb's API, for the demo only (the tests use wiremock).

GET /1/auth accepts the key "hcaik_" + 58 x "d" (the demo key) and rejects others;
POST /v1/traces accepts spans. Prints its URL on the first line of stdout.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

DEMO_KEY = "hcaik_" + "d" * 58


class Stub(BaseHTTPRequestHandler):
    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path != "/1/auth":
            return self._answer(404, {"error": "not found"})
        if self.headers.get("x-honeycomb-team") != DEMO_KEY:
            return self._answer(401, {"error": "unknown API key - check your credentials"})
        self._answer(200, {
            "id": "demo", "type": "ingest",
            "api_key_access": {"events": True, "createDatasets": True, "markers": False},
            "environment": {"name": "bootcamp", "slug": "bootcamp"},
            "team": {"name": "Cruddur demo", "slug": "cruddur-demo"},
        })

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        ok = self.path == "/v1/traces" and self.headers.get("x-honeycomb-team") == DEMO_KEY
        self._answer(200 if ok else 401, {} if ok else {"error": "unknown API key"})

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Stub)
print(f"http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
