# Hostile: a right UDP echo server that first tries to write outside its folder and changes its own files.
# Where to write comes from probe.json, which the test writes into the student's folder: the
# checkout, the grader's package, the course's folders, the cache, another test's copy, the
# temporary folder. Each attempt prints `wrote LABEL PATH` or `could not write LABEL PATH - why`.
import json
import os
import socket

PROBE = json.load(open('probe.json'))
NAME = 'escape-HOSTILE-MARKER'
targets = [(where, where + NAME) for where in ['../', '../../', '../../../', '/', '/root/', '/home/', '/usr/',
                                               '/etc/', '/var/tmp/', '/dev/shm/']]
targets += [('~/', os.path.expanduser('~/' + NAME)), ('~/../', os.path.expanduser('~/../' + NAME))]
targets += [(label, os.path.join(PROBE[label], NAME)) for label in ('checkout', 'grader', 'temp')]
targets += [(label, os.path.join(folder, NAME)) for label, folder in sorted(PROBE['hidden'].items())]
for label, target in targets:
    try:
        with open(target, 'w') as f:
            f.write('I was here\n')
        print('wrote', label, target)
    except OSError as e:
        print('could not write', label, target, '-', e)
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
