"""A TCP proxy in front of the fake Slack that resets or silences connections."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass


def _drop(sock: socket.socket) -> None:
    """Close abruptly (RST, no FIN handshake), waking any thread blocked on it."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@dataclass(eq=False)
class _Pair:
    client: socket.socket
    upstream: socket.socket
    silenced: bool = False
    drop_on_answer: bool = False


class Proxy:
    """Forwards 127.0.0.1:port to the fake Slack; can drop or silence connections.

    - `drop_open()`: every open connection is cut (the peer sees it closed at once);
    - `silence_open()`: open connections stay up but nothing passes any more (a dead NAT
      entry: no data, no pongs, no FIN);
    - `drop_after_answer(path, times)`: the next `times` requests for `path` reach Slack and
      are answered, but the answer is lost in a connection reset (the worst case for a
      non-idempotent call such as conversations.create).
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._pairs: set[_Pair] = set()
        self._drops: dict[str, int] = {}
        self.dropped_answers = 0
        self._closed = False
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def drop_open(self) -> int:
        with self._lock:
            pairs, self._pairs = list(self._pairs), set()
        for pair in pairs:
            _drop(pair.client)
            _drop(pair.upstream)
        return len(pairs)

    def silence_open(self) -> int:
        with self._lock:
            for pair in self._pairs:
                pair.silenced = True
            return len(self._pairs)

    def drop_after_answer(self, path: str, times: int) -> None:
        with self._lock:
            self._drops[path] = self._drops.get(path, 0) + times

    def close(self) -> None:
        self._closed = True
        _drop(self._listener)
        self.drop_open()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), 5)
                upstream.settimeout(None)
            except OSError:
                _drop(client)
                continue
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump_up, args=(pair,), daemon=True).start()
            threading.Thread(target=self._pump_down, args=(pair,), daemon=True).start()

    def _pump_up(self, pair: _Pair) -> None:
        first = True
        while True:
            try:
                data = pair.client.recv(65536)
            except OSError:
                data = b""
            if not data:
                _drop(pair.upstream)
                return
            if first:
                first = False
                line = data.split(b"\r\n", 1)[0].decode("latin-1")
                with self._lock:
                    for path, left in self._drops.items():
                        if left and f" {path}" in line:
                            self._drops[path] = left - 1
                            pair.drop_on_answer = True
                            break
            if pair.silenced:
                continue
            try:
                pair.upstream.sendall(data)
            except OSError:
                _drop(pair.client)
                return

    def _pump_down(self, pair: _Pair) -> None:
        while True:
            try:
                data = pair.upstream.recv(65536)
            except OSError:
                data = b""
            if not data or pair.drop_on_answer:
                if pair.drop_on_answer and data:
                    with self._lock:
                        self.dropped_answers += 1
                _drop(pair.client)
                _drop(pair.upstream)
                with self._lock:
                    self._pairs.discard(pair)
                return
            if pair.silenced:
                continue
            try:
                pair.client.sendall(data)
            except OSError:
                _drop(pair.upstream)
                return
