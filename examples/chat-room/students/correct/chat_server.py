# chat room server (homework)
# every client has a thread, users = {nick: socket}

import socket
import threading

users = {}
lock = threading.Lock()

def send_all(text, me):
    # send to everybody except me
    with lock:
        for nick in users:
            if users[nick] != me:
                try:
                    users[nick].send((text + '\n').encode('utf-8'))
                except:
                    print('could not send to', nick)

def worker(sock, addr):
    print('Accept new connection from %s:%s...' % addr)
    sock.send(b'Welcome to the chat!\n')
    name = ''
    while True:
        try:
            data = sock.recv(1024)
        except ConnectionResetError:
            print('connection reset')
            break
        if not data:
            break
        quit = False
        for line in data.decode('utf-8', 'replace').split('\n'):
            line = line.strip('\r')
            if line == '':
                continue
            print(addr, name, 'says', line)
            if name == '':
                if line.startswith('NICK '):
                    name = line[5:]
                    with lock:
                        users[name] = sock
                    sock.send(('Hello ' + name + '\n').encode('utf-8'))
                    send_all('* ' + name + ' joined', sock)
                else:
                    sock.send(b'ERROR: NICK first\n')
            elif line == 'QUIT':
                sock.send(('Bye ' + name + '\n').encode('utf-8'))
                quit = True
                break
            else:
                send_all(name + ': ' + line, sock)
        if quit:
            break
    if name != '':
        with lock:
            del users[name]
        send_all('* ' + name + ' left', sock)
    sock.close()
    print('Connection from %s:%s closed.' % addr)
    print('users now:', list(users))

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 9999))
s.listen(5)
print('Waiting for connection...')
while True:
    sock, addr = s.accept()
    t = threading.Thread(target=worker, args=(sock, addr))
    t.start()
