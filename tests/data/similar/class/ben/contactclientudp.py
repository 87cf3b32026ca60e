# contact client, UDP -- Ben
import socket
import sys

if len(sys.argv) < 3:
    sys.exit('usage: contactclientudp.py add NAME PHONE | remove NAME | find NAME')

msg = ';'.join(sys.argv[1:]).encode('utf-8')
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
c.settimeout(1.5)
tries = 0
while tries < 4:
    c.sendto(msg, ('127.0.0.1', 9999))
    try:
        reply = c.recv(4096)
    except OSError:
        tries += 1
        continue
    print(reply.decode('utf-8'))
    break
else:
    sys.exit('server did not answer')
c.close()
