#!/usr/bin/env python3
"""The stream echo client: connect, send three words, say "no more" with shutdown, read the echo."""
import socket

client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect("./stream-echo.socket")   # queued in the server's backlog until it accepts
for word in ["Лев ", "Николаевич ", "Толстой"]:
    client.sendall(word.encode())        # three sends; the server may read them as one
client.shutdown(socket.SHUT_WR)          # no more to send: the server's recv will return 0
reply = b""
while True:
    data = client.recv(1024)
    if not data:                         # the server closed: the end of its stream
        break
    reply += data
print("echo:", reply.decode(), flush=True)
client.close()
