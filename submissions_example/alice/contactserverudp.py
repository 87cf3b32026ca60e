# UDP contact server - homework lecture 16
# Alice
import socket
import time

contacts = {}

def handle(msg):
    # msg looks like add;name;phone or remove;name or find;name
    cmd = msg.split(';')
    if cmd[0] == 'add' and len(cmd) == 3:
        contacts[cmd[1]] = cmd[2]
        return cmd[1] + ' added!'
    elif cmd[0] == 'remove' and len(cmd) == 2:
        if cmd[1] in contacts:
            del contacts[cmd[1]]
            return cmd[1] + ' removed'
        return 'Not Found!'
    elif cmd[0] == 'find' and len(cmd) == 2:
        if cmd[1] in contacts:
            return contacts[cmd[1]]
        return 'Not Found!'
    else:
        return 'ERROR: bad command'

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('UDP contact server started...')
while True:
    data, addr = s.recvfrom(1024)
    time.sleep(1)
    print('Received from %s:%s.' % addr)
    # errors='replace' so strange bytes do not crash the server
    reply = handle(data.decode('utf-8', errors='replace'))
    print(contacts)
    s.sendto(reply.encode('utf-8'), addr)
