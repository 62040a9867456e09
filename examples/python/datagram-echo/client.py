#!/usr/bin/env python3
"""The two-way datagram client: autobind gives it a name, so the server can answer."""
import socket

client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
client.bind("")            # an empty name: the kernel chooses an abstract one (autobind)
for word in [b"lev", b"DONE"]:
    client.sendto(word, "./dgram-echo.socket")
    print("echo:", client.recv(1024).decode(), flush=True)
client.close()
