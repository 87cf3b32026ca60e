# chat room server
# Serial version: I did not understand threads yet, so one client after the other

import socket

clients = {}   # nick -> socket

def broadcast(text, me):
    for nick, c in clients.items():
        if c is not me:
            c.send((text + '\n').encode('utf-8'))

def handle(sock, addr):
    print('Accept new connection from %s:%s...' % addr)
    sock.send(b'Welcome to the chat!\n')
    nick = ''
    buf = b''
    done = False
    while not done:
        try:
            data = sock.recv(1024)
        except ConnectionResetError:
            break
        if not data:
            break
        buf = buf + data
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            msg = line.decode('utf-8', 'replace').strip()
            print(nick, '>', msg)
            if nick == '':
                if msg.startswith('NICK '):
                    nick = msg[5:]
                    clients[nick] = sock
                    sock.send(('Hello ' + nick + '\n').encode('utf-8'))
                    broadcast('* ' + nick + ' joined', sock)
                else:
                    sock.send(b'ERROR: NICK first\n')
            elif msg == 'QUIT':
                sock.send(('Bye ' + nick + '\n').encode('utf-8'))
                done = True
                break
            else:
                broadcast(nick + ': ' + msg, sock)
    if nick != '':
        del clients[nick]
        broadcast('* ' + nick + ' left', sock)
    sock.close()
    print('Connection from %s:%s closed.' % addr)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 9999))
s.listen(5)
print('Waiting for connection...')
while True:
    sock, addr = s.accept()
    handle(sock, addr)
