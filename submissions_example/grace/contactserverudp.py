# UDP contact server
# Grace

import socket
import time

contacts = {}

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('UDP contact server started...')
while True:
    data, addr = s.recvfrom(1024)
    time.sleep(1)
    print('Received from %s:%s.' % addr)
    cmd = data.decode('utf-8', errors='replace').split(';')
    if len(cmd) < 2 or (cmd[0] == 'add' and len(cmd) < 3):
        s.sendto(b'ERROR: bad command', addr)
        continue
    if cmd[0] == 'add':
        contacts[cmd[1]] = cmd[2]
        s.sendto((cmd[1] + ' added').encode('utf-8'), addr)
    elif cmd[0] == 'remove':
        if cmd[1] in contacts:
            del contacts[cmd[1]]
            s.sendto((cmd[1] + ' removed').encode('utf-8'), addr)
        else:
            s.sendto(b'Not found', addr)
    elif cmd[0] == 'find':
        if cmd[1] in contacts:
            s.sendto(contacts[cmd[1]].encode('utf-8'), addr)
        else:
            s.sendto(b'Not found', addr)
    print(contacts)
