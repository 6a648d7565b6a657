"""A visit counter in Redis: the platform links it and sets REDIS_URL. Serves on $PORT with the standard library."""
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

store = redis.Redis.from_url(os.environ["REDIS_URL"])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/":
            self.send_error(404)
            return
        n = store.incr("visits")
        body = f"{os.environ.get('GREETING', 'hello')}: visit {n}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "5000"))), Handler).serve_forever()
