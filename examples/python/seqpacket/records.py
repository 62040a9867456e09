#!/usr/bin/env python3
"""SOCK_SEQPACKET: a connection that keeps record boundaries; a short buffer cuts a record.
    sockscope record --out run --role records -- python3 records.py
"""
import socket

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
a.send(b"first record")
a.send(b"second record")
print(b.recv(1024))                # one record, not both: boundaries are kept
print(b.recv(1024))
a.send(b"Lev Nikolayevich Tolstoy, War and Peace")
print(b.recv(16))                  # 16 bytes of a longer record: the rest is discarded
a.close()
b.close()
