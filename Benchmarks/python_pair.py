# The Python datagram pair for `make bench`: this process receives COUNT datagrams of SIZE bytes
# that a forked child sends over AF_UNIX SOCK_DGRAM, and prints "COUNT SECONDS".
# Usage: python3 python_pair.py COUNT SIZE SOCKET_PATH
import os
import socket
import sys
import time

count, size, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if os.path.exists(path):
    os.remove(path)
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind(path)
start = time.monotonic()
if os.fork() == 0:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    client.connect(path)
    message = b"a" * size
    for _ in range(count):
        client.send(message)
    client.close()
    os._exit(0)
for _ in range(count):
    server.recv(1024)
elapsed = time.monotonic() - start
os.wait()
server.close()
os.remove(path)
print(count, "%.6f" % elapsed)
