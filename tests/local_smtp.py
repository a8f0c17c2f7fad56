"""A mail server inside the test: SMTP on loopback that keeps what it is sent, or, while
`hang` is set, takes a message's DATA and never answers (a worker then waits in sending)."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class LocalSMTP:
    port: int = 0
    messages: list[str] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)
    # Set once a whole message arrived while `hang` was set: the sender now waits for ever.
    data_started: threading.Event = field(default_factory=threading.Event)


@contextmanager
def serve_smtp() -> Iterator[LocalSMTP]:
    smtp = LocalSMTP()

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            self.reply("220 localhost ESMTP test")
            while line := self.rfile.readline():
                command = line.decode(errors="replace").strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    self.reply("250 localhost")
                elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                    self.reply("250 OK")
                elif command == "DATA":
                    self.reply("354 go ahead")
                    message = []
                    while (body := self.rfile.readline()) != b".\r\n":
                        if not body:
                            return  # the client went away mid-message: nothing was sent
                        message.append(body.decode(errors="replace"))
                    if smtp.hang.is_set():
                        smtp.data_started.set()  # the whole message is here, unanswered
                        threading.Event().wait(3600)
                        return
                    smtp.messages.append("".join(message))
                    self.reply("250 queued")
                elif command == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("502 not implemented")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # a killed client hangs up: expected
    smtp.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield smtp
    finally:
        server.shutdown()
        server.server_close()
