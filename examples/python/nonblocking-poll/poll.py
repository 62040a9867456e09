#!/usr/bin/env python3
"""A non-blocking socket: recv on an empty queue fails with EAGAIN at once instead of waiting;
poll waits until the socket is readable.
    sockscope record --out run --role parent -- python3 poll.py
"""
import os
import select
import socket
import time

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
b.setblocking(False)
try:
    b.recv(100)                        # nothing queued yet
except BlockingIOError as e:
    print("recv:", e.strerror, flush=True)      # EAGAIN: "Resource temporarily unavailable"
pid = os.fork()
if pid == 0:
    time.sleep(0.2)
    a.send(b"ready now")
    os._exit(0)
poller = select.poll()
poller.register(b.fileno(), select.POLLIN)
print("poll:", poller.poll(2000), flush=True)  # waits about 0.2 s, until the child's datagram
print("recv:", b.recv(100).decode(), flush=True)
os.waitpid(pid, 0)
