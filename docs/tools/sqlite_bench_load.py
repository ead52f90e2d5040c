"""Writes load.sql: the tables and rows of vireo-bench-sqlite (Benchmarks/SQLPathBench/Workload.swift),
100 bulk INSERTs of 1,000 rows into items and 20 transactions of 1,000 one-row INSERTs into
items_param, for measuring file sizes with `vireo sql DB -f load.sql` (docs/benchmarks-sql.md)."""
import sys
M=2**64
def row(i):
    mixed=((i*0x9E3779B97F4A7C15)%M)>>40
    return mixed%100, "item-%09d"%i, (mixed%100000)/4
out=[]
for t,key in (("items","bigint"),("items_param","bigint")):
    out.append(f"CREATE TABLE {t} (id {key} PRIMARY KEY, grp int NOT NULL, name text NOT NULL, score double precision NOT NULL);")
out.append("CREATE TABLE groups (id bigint PRIMARY KEY, label text NOT NULL);")
out.append("INSERT INTO groups (id, label) VALUES "+", ".join(f"({g}, 'group-{g}')" for g in range(100))+";")
for first in range(1,100001,1000):
    vals=[]
    for i in range(first,first+1000):
        g,n,s=row(i); vals.append(f"({i}, {g}, '{n}', {s!r})")
    out.append("INSERT INTO items (id, grp, name, score) VALUES "+", ".join(vals)+";")
for first in range(1,20001,1000):
    out.append("BEGIN;")
    for i in range(first,first+1000):
        g,n,s=row(i); out.append(f"INSERT INTO items_param (id, grp, name, score) VALUES ({i}, {g}, '{n}', {s!r});")
    out.append("COMMIT;")
open("load.sql","w").write("\n".join(out)+"\n")
