"""Just enough RFC 6455 for the end-to-end tests of every WebSocket endpoint: the handshake
(its answer checked), reading frames from the server, answering its close, a masked close."""
import base64
import hashlib
import json
import os
import socket
import struct

TIMEOUT_S = 60
ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    def __init__(self, port, path, headers=None, timeout=TIMEOUT_S, receive_buffer_bytes=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer_bytes:
            # Set before connecting, so the window the server sees is small from the start.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            assert chunk, "the server closed the connection during the handshake"
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        self.status_line = head.split(b"\r\n")[0].decode()
        accept = base64.b64encode(hashlib.sha1((key + ACCEPT_GUID).encode()).digest()).decode()
        self.upgraded = " 101 " in self.status_line and accept.encode() in head
        self.close_code = None

    def read(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server ended the connection inside a frame")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def frame(self):
        """(fin, opcode, payload) of the next frame."""
        first, second = self.read(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", self.read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self.read(8))[0]
        return bool(first & 0x80), first & 0x0F, self.read(length)

    def receive(self):
        """The next text message as JSON, or None after the server's close (which is answered)."""
        message = b""
        while True:
            fin, opcode, payload = self.frame()
            if opcode == 8:
                self.close_code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                self._send_close(payload[:2])
                return None
            if opcode in (0, 1):
                message += payload
                if fin:
                    return json.loads(message)

    def messages(self):
        """Text messages until the server's close."""
        while (message := self.receive()) is not None:
            yield message

    def _send_close(self, payload):
        mask = os.urandom(4)
        try:
            self.sock.sendall(bytes([0x88, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        except OSError:
            pass

    def close(self):
        """A normal close from our side, then the socket closed."""
        self._send_close(struct.pack(">H", 1000))
        self.sock.close()
