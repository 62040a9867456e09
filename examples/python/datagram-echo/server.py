#!/usr/bin/env python3
"""A two-way datagram echo: the server answers each datagram with sendto to the address recvfrom
returned. The client must have a name for that: it binds with autobind.
    sockscope record --out run --role server -- python3 server.py
    sockscope record --out run --role client -- python3 client.py
"""
import os
import socket

PATH = "./dgram-echo.socket"
if os.path.exists(PATH):
    os.unlink(PATH)
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind(PATH)
print("ready", flush=True)
while True:
    data, address = server.recvfrom(1024)   # address: the client's name (here "\0" + 5 hex digits)
    server.sendto(data.upper(), address)    # answer the client at that address
    if data == b"DONE":
        break
server.close()
os.unlink(PATH)
