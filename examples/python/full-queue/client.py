#!/usr/bin/env python3
"""Sends 15 datagrams at once. The kernel queues at most net.unix.max_dgram_qlen (10 by
default) beyond the first: then send BLOCKS until the server reads one."""
import socket
import time

client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
client.connect("./full-queue.socket")
for n in range(15):
    start = time.monotonic()
    client.send(b"datagram %d" % n)
    waited = time.monotonic() - start
    if waited > 0.1:
        print("send %d waited %.1f s for room in the queue" % (n, waited), flush=True)
client.close()
