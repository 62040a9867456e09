#!/usr/bin/env python3
"""A slow datagram server: it sleeps a second before reading, so its receive queue fills up.
    sockscope record --out run --role server -- python3 server.py
    sockscope record --out run --role client -- python3 client.py
"""
import os
import select
import socket
import time

PATH = "./full-queue.socket"
if os.path.exists(PATH):
    os.unlink(PATH)
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind(PATH)
print("ready", flush=True)
select.select([server], [], [])    # wait until the first datagram is there (reading nothing)
time.sleep(1)                      # meanwhile the client's datagrams wait in the queue
for _ in range(15):
    server.recv(1024)
print("read 15 datagrams", flush=True)
server.close()
os.unlink(PATH)
