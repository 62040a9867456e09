#!/usr/bin/env python3
"""Who is on the other end? SCM_CREDENTIALS (sent with a message) and SO_PEERCRED (asked of the
kernel). The receiver must turn on SO_PASSCRED to get credentials.
    sockscope record --out run --role parent -- python3 creds.py
"""
import os
import socket
import struct

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
pid = os.fork()
if pid == 0:                                    # the child sends its pid, uid and gid
    creds = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    a.sendmsg([b"who am I?"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, creds)])
    os._exit(0)
msg, ancillary, flags, _ = b.recvmsg(100, socket.CMSG_SPACE(12))
for level, kind, data in ancillary:
    if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
        print("credentials: pid %d uid %d gid %d" % struct.unpack("3i", data), flush=True)
peer = b.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
print("SO_PEERCRED: pid %d uid %d gid %d" % struct.unpack("3i", peer), flush=True)
os.waitpid(pid, 0)
a.close()
b.close()
