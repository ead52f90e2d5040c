#!/usr/bin/env python3
"""Fills the result tables of docs/sql.md from the engine.

Every ```text block whose body is a single `?` line, right after a ```sql block, is
replaced by what `vireo sql` prints for that block's last statement. The sql blocks run in
order in one in-memory database (the `sql error` blocks are skipped, so a block whose result
depends on a failed statement must be checked by hand). DocExamplesTests then checks every
table against the engine.

    python3 docs/tools/fill_outputs.py docs/sql.md .build/debug/vireo
"""
import re, subprocess, sys
doc = sys.argv[1]; binary = sys.argv[2]
lines = open(doc).read().split('\n')
# blocks: (kind, start_line_index, end_line_index, text)
blocks = []
i = 0
while i < len(lines):
    l = lines[i].strip()
    if l.startswith('```') and len(l) > 3:
        info = l[3:].split()
        j = i + 1
        while j < len(lines) and lines[j].strip() != '```': j += 1
        blocks.append((info, i, j, '\n'.join(lines[i+1:j])))
        i = j + 1
    else:
        i += 1
script = []
wanted = {}
for n, (info, s, e, text) in enumerate(blocks):
    if info == ['sql']:
        stmts = [x for x in re.split(r';[ \t]*(?:--[^\n]*)?\n|;\s*$', text + '\n') if x.strip()]
        needs = n + 1 < len(blocks) and blocks[n+1][0] == ['text'] and blocks[n+1][3].strip() == '?'
        for k, st in enumerate(stmts):
            if needs and k == len(stmts) - 1:
                script.append(f"SELECT 'BEGIN_{n}' AS vireo_marker;")
                script.append(st + ';')
                script.append(f"SELECT 'END_{n}' AS vireo_marker;")
                wanted[n + 1] = n
            else:
                script.append(st + ';')
out = subprocess.run([binary, 'sql'], input='\n'.join(script) + '\n', capture_output=True, text=True)
if out.returncode != 0:
    print(out.stderr, file=sys.stderr)
marker = re.compile(r" vireo_marker \n-+\n (BEGIN|END)_(\d+)\n\(1 row\)\n\n")
pieces = {}
pos = 0; current = None
for m in marker.finditer(out.stdout):
    if m.group(1) == 'BEGIN': current = (int(m.group(2)), m.end())
    else: pieces[int(m.group(2))] = out.stdout[current[1]:m.start()].rstrip('\n')
# rewrite
result = lines[:]
for t, n in sorted(wanted.items(), reverse=True):
    info, s, e, text = blocks[t]
    if n in pieces:
        body = [x.rstrip() for x in pieces[n].split('\n')]
        result[s+1:e] = body
    else:
        print('missing output for block at line', blocks[n][1] + 1, file=sys.stderr)
open(doc, 'w').write('\n'.join(result))
