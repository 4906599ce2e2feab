"""A bad line between a client and a server on loopback: a TCP proxy that forwards bytes both
ways, can slow the way up to a given rate, drops the connection when the bytes sent up reach
given totals (a reset to the client and a close to the server, mid-request), can lose the
next answer, and counts every byte it carried. Used by the resumable-upload tests and
``bench/upload_resumable.py``."""

from __future__ import annotations

import socket
import struct
import threading
import time
from types import TracebackType

PIECE = 4096


class LineProxy:
    def __init__(self, target_port: int, *, rate: float | None = None, cut_at: list[int] | None = None,
                 keep_server_side: bool = False) -> None:
        """``rate`` in bytes/s up (None: as fast as loopback); ``cut_at``: totals of bytes sent
        up at which a connection is dropped; ``keep_server_side``: on a cut, leave the server's
        side open and silent (a half-open connection, as a line that dies without a FIN)."""
        self.target_port, self.rate = target_port, rate
        self.cut_at = sorted(cut_at or [])
        self.keep_server_side = keep_server_side
        self.up_bytes = self.down_bytes = self.cuts = 0
        self.lose_next_answer = False
        self.refuse_after_cut = False  # after a cut, every new connection is dropped at once (the line stays down)
        self.refusing = False
        self._lock = threading.Lock()
        self._closing = False
        self._held: list[socket.socket] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # no huge buffer before the line
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LineProxy:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._closing = True
        self._listener.close()
        for sock in self._held:
            sock.close()

    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.refusing:
                _Link(client, client).reset_client()
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            link = _Link(client, server)
            threading.Thread(target=self._up, args=(link,), daemon=True).start()
            threading.Thread(target=self._down, args=(link,), daemon=True).start()

    def _up(self, link: _Link) -> None:
        began: float | None = None
        sent = 0
        while not link.dead:
            try:
                data = link.client.recv(PIECE)
            except OSError:
                data = b""
            if not data:
                link.close_both()
                return
            with self._lock:
                cut = self._cut_point(len(data))
                data = data[:cut] if cut is not None else data
                self.up_bytes += len(data)
            if self.rate:
                began = time.monotonic() if began is None else began
                sent += len(data)
                time.sleep(max(0.0, began + sent / self.rate - time.monotonic()))
            try:
                link.server.sendall(data)
            except OSError:
                link.close_both()
                return
            if cut is not None:
                self._drop(link)
                return

    def _cut_point(self, size: int) -> int | None:
        """Where in the next ``size`` bytes a planned cut falls, if one does (lock held)."""
        if self.cut_at and self.up_bytes + size >= self.cut_at[0]:
            point = self.cut_at.pop(0) - self.up_bytes
            self.cuts += 1
            self.refusing = self.refuse_after_cut
            return max(point, 0)
        return None

    def _down(self, link: _Link) -> None:
        while not link.dead:
            try:
                data = link.server.recv(PIECE)
            except OSError:
                data = b""
            if not data:
                link.close_both()
                return
            with self._lock:
                lose, self.lose_next_answer = self.lose_next_answer, False
                self.down_bytes += len(data)
            if lose:
                self._drop(link)
                return
            try:
                link.client.sendall(data)
            except OSError:
                link.close_both()
                return

    def _drop(self, link: _Link) -> None:
        link.reset_client()
        if self.keep_server_side:
            self._held.append(link.server)
            link.dead = True
        else:
            link.close_both()


class _Link:
    def __init__(self, client: socket.socket, server: socket.socket) -> None:
        self.client, self.server, self.dead = client, server, False

    def reset_client(self) -> None:
        """Drop the client's side abruptly (RST), as a line that goes down does."""
        try:
            self.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.client.shutdown(socket.SHUT_RD)  # wakes a thread blocked reading it; close() alone would wait
        except OSError:
            pass
        self.client.close()

    def close_both(self) -> None:
        if not self.dead:
            self.dead = True
            for sock in (self.client, self.server):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
