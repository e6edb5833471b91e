#!/usr/bin/env python3
"""A loopback Hugging Face Hub serving one LFS file, for bench/fetch-throughput.sh.

Speaks the three calls the fetcher makes (revision info, recursive tree with the LFS sha256, resolve
with X-Repo-Commit / ETag / Range) for repository REPO at COMMIT holding FILE. The body goes out with
sendfile(2), as a CDN would, so the server is not what limits a download.

usage: hub-server.py PORT_FILE REPO COMMIT PATH_IN_REPO FILE SHA256
"""
import json, os, re, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port_file, repo, commit, name, path, sha256 = sys.argv[1:7]
size = os.path.getsize(path)


class Hub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = self.path.split("?")[0]
        if url in (f"/api/models/{repo}/revision/{commit}", f"/api/models/{repo}/revision/main"):
            info = {"id": repo, "sha": commit, "siblings": [{"rfilename": name}]}
            return self.reply(200, json.dumps(info).encode(), [("Content-Type", "application/json")])
        if url == f"/api/models/{repo}/tree/{commit}":
            entry = {"type": "file", "path": name, "size": size, "oid": "0" * 40, "lfs": {"oid": sha256, "size": size, "pointerSize": 134}}
            return self.reply(200, json.dumps([entry]).encode(), [("Content-Type", "application/json")])
        if url != f"/{repo}/resolve/{commit}/{name}":
            return self.reply(404, b'{"error":"not found"}', [("X-Error-Code", "EntryNotFound")])
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            if start >= size:
                return self.reply(416, headers=[("Content-Range", f"bytes */{size}")])
        self.send_response(206 if match else 200)
        for key, value in [("X-Repo-Commit", commit), ("ETag", f'"{sha256}"'), ("X-Linked-Etag", f'"{sha256}"'),
                           ("X-Linked-Size", str(size)), ("Accept-Ranges", "bytes"), ("Content-Length", str(size - start))]:
            self.send_header(key, value)
        if match:
            self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.end_headers()
        if self.command != "HEAD":
            with open(path, "rb") as body:
                self.wfile.flush()
                self.connection.sendfile(body, start, size - start)


server = ThreadingHTTPServer(("127.0.0.1", 0), Hub)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
