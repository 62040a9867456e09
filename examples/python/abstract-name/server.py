#!/usr/bin/env python3
"""A datagram server on an ABSTRACT name (Linux): "\\0sockscope-gallery" — no file on disk.
    sockscope record --out run --role server -- python3 server.py
    sockscope record --out run --role client -- python3 client.py
"""
import socket

NAME = "\0sockscope-gallery"       # a leading NUL byte: the abstract namespace, shown as @sockscope-gallery

server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind(NAME)                  # no file is created, so there is nothing to unlink first or after
print("ready", flush=True)
while True:
    data = server.recv(1024)
    print("received:", data.decode(), flush=True)
    if data == b"DONE":
        break
server.close()                     # the name is gone with the socket
