"""The records a sandbox sends to its worker: framed JSON plus optional safetensors bytes.

Nothing here ever unpickles: a record is ``MAGIC``, two lengths, a JSON header and a
blob that only ``safetensors`` reads. A reader that meets bytes it cannot parse stops
and says so (the student's process may write garbage into its own channel).
"""

from __future__ import annotations

import json
import os
import struct

MAGIC = b"AGR1"
_HEAD = struct.Struct(">4sQQ")
MAX_HEADER = 64 << 20


def frame(header: dict, blob: bytes = b"") -> bytes:
    body = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    return _HEAD.pack(MAGIC, len(body), len(blob)) + body + blob


def write_record(fd: int, header: dict, blob: bytes = b"") -> None:
    data = memoryview(frame(header, blob))
    while data:
        n = os.write(fd, data)
        data = data[n:]


class Reader:
    """Incremental parser: feed bytes, take complete (header, blob) records."""

    def __init__(self, max_blob: int):
        self.buffer = bytearray()
        self.max_blob = max_blob
        self.error: str | None = None

    def feed(self, data: bytes) -> list[tuple[dict, bytes]]:
        if self.error:
            return []
        self.buffer += data
        out = []
        while len(self.buffer) >= _HEAD.size:
            magic, n_head, n_blob = _HEAD.unpack_from(self.buffer)
            if magic != MAGIC or n_head > MAX_HEADER or n_blob > self.max_blob:
                self.error = "malformed record from the sandbox"
                return out
            end = _HEAD.size + n_head + n_blob
            if len(self.buffer) < end:
                break
            try:
                header = json.loads(bytes(self.buffer[_HEAD.size:_HEAD.size + n_head]))
                if not isinstance(header, dict):
                    raise ValueError("header is not an object")
            except ValueError:
                self.error = "malformed record header from the sandbox"
                return out
            out.append((header, bytes(self.buffer[_HEAD.size + n_head:end])))
            del self.buffer[:end]
        return out
