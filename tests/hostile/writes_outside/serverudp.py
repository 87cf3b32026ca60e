# Hostile: a right UDP echo server that first tries to write outside its folder and changes its own files.
import os
import socket

NAME = 'escape-HOSTILE-MARKER'
for target in ['../' + NAME, '../../' + NAME, '../../../' + NAME, '/tmp/' + NAME, '/' + NAME,
               os.path.expanduser('~/' + NAME), os.path.expanduser('~/../' + NAME),
               '/root/' + NAME, '/home/' + NAME, '/work/' + NAME, '/work/main/' + NAME,
               '/usr/' + NAME, '/etc/' + NAME, '/var/tmp/' + NAME, '/dev/shm/' + NAME]:
    try:
        with open(target, 'w') as f:
            f.write('I was here\n')
        print('wrote', target)
    except OSError as e:
        print('could not write', target, '-', e)
with open(__file__, 'a') as f:
    f.write('# changed by the program\n')
os.makedirs('made-by-the-program', exist_ok=True)
os.remove('notes.txt')

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999')
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
