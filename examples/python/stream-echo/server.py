#!/usr/bin/env python3
"""A stream (SOCK_STREAM) echo server: listen, accept one client, send back what it sends.

Run it first, then client.py in another terminal (from the same directory):
    sockscope record --out run --role server -- python3 server.py
    sockscope record --out run --role client -- python3 client.py
"""
import os
import socket

PATH = "./stream-echo.socket"

# A socket file left by an earlier run would make bind fail with EADDRINUSE: remove it first.
if os.path.exists(PATH):
    os.unlink(PATH)

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(PATH)          # creates the socket file PATH
server.listen(2)           # up to 2 connections may wait for accept
print("ready", flush=True)

conn, _ = server.accept()  # a NEW socket for this connection; `server` keeps listening
while True:
    data = conn.recv(1024)  # a stream has no boundaries: this may get part of a send, or several
    if not data:            # 0 bytes: the client shut down its side (end of the stream)
        break
    print("received:", data.decode(), flush=True)
    conn.sendall(data.upper())
conn.close()
server.close()
os.unlink(PATH)            # the file stays after close: remove it
