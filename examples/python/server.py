# server.py — the lecture page's echo server, ported to Python 3 so that it runs today.
# Every change from the page's Python 2 code is marked "Python 3:" below; the messages, the calls
# and their order are the page's.
import os
import os.path
import socket

SOCKET_FILE = './echo.socket'

if os.path.exists(SOCKET_FILE):
    os.remove(SOCKET_FILE)

print("Открываем UNIX сокет...")
server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
server.bind(SOCKET_FILE)

print("Слушаем...")
while True:
    datagram = server.recv(1024)
    if not datagram:
        break
    else:
        print("-" * 20)
    # Python 3: recv returns bytes; decode to print the text (the page printed a Python 2 str).
    print(datagram.decode("utf-8", errors="replace"))
    # Python 3: compare bytes with bytes. The page's `"DONE" == datagram` compares a str with bytes,
    # which is never true in Python 3, so the server would never stop.
    if b"DONE" == datagram:
        break
print("-" * 20)
print("Выключение...")
server.close()
os.remove(SOCKET_FILE)
print("Выполнено")
