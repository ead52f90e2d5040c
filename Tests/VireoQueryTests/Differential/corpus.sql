-- Differential corpus (issue 4): every statement runs on Vireo and on SQLite 3.40 (with
-- PRAGMA case_sensitive_like = ON) and the answers are compared by DifferentialTests.swift.
-- A statement ends with ';' at the end of a line. Rows compare in order only when the
-- statement has a top-level ORDER BY (which must then fully determine the order), unless the
-- line before it says '-- @unordered'. Known differences: expected-differences.md.

-- ===== Schema =====
CREATE TABLE dept (id integer PRIMARY KEY, name text NOT NULL UNIQUE, budget double precision, city text);
CREATE TABLE emp (id integer PRIMARY KEY, name text NOT NULL, dept_id integer, salary integer, bonus double precision, active boolean, manager_id integer, email text UNIQUE, hired integer);
CREATE INDEX emp_dept ON emp (dept_id);
CREATE INDEX emp_salary ON emp (salary);
CREATE INDEX emp_name_lower ON emp (name, hired);
CREATE TABLE project (id integer PRIMARY KEY, title text NOT NULL, dept_id integer, lead_id integer, cost double precision, done boolean);
CREATE UNIQUE INDEX project_title ON project (title);
CREATE TABLE nums (id integer PRIMARY KEY, a integer, b integer, x double precision, s text);
CREATE TABLE kv (k text PRIMARY KEY, v integer NOT NULL, note text);
CREATE TABLE tags (emp_id integer, tag text, UNIQUE (emp_id, tag));
CREATE TABLE log (id integer PRIMARY KEY, msg text);

-- ===== Data =====
INSERT INTO dept VALUES (1, 'Engineering', 500000.0, 'Oslo'), (2, 'Sales', 200000.5, 'Bergen'), (3, 'Support', NULL, 'Oslo'), (4, 'Research', 750000.25, NULL), (5, 'Empty', 1000.0, 'Tromso');
INSERT INTO emp VALUES (1, 'Alice', 1, 120000, 5000.5, true, NULL, 'alice@x.org', 2015);
INSERT INTO emp VALUES (2, 'bob', 1, 95000, NULL, true, 1, 'bob@x.org', 2018), (3, 'Carol', 2, 70000, 1200.0, false, 1, NULL, 2019);
INSERT INTO emp VALUES (4, 'dave', 2, NULL, 300.25, true, 3, 'dave@y.com', 2020), (5, 'Eve', 3, 55000, NULL, NULL, 1, 'eve@y.com', 2021), (6, 'frank', NULL, 40000, 0.0, false, NULL, NULL, 2022);
INSERT INTO emp VALUES (7, 'Grace', 4, 150000, 10000.0, true, NULL, 'grace@x.org', 2012), (8, 'heidi', 4, 150000, 2500.75, true, 7, 'heidi@z.net', 2016), (9, 'Ivan', 3, 48000, NULL, false, 5, 'ivan@z.net', NULL);
INSERT INTO emp VALUES (10, 'judy', 1, 101000, 800.0, true, 2, 'judy@x.org', 2017), (11, 'Mallory', NULL, NULL, NULL, NULL, NULL, NULL, NULL), (12, 'niaj', 2, 62000, 150.0, true, 3, 'niaj@y.com', 2023);
INSERT INTO emp (id, name, dept_id, salary, active, hired) VALUES (13, 'Olivia', 4, 98000, true, 2014), (14, 'peggy', 1, 77000, false, 2019);
INSERT INTO project VALUES (1, 'Apollo', 1, 1, 12000.0, true), (2, 'Borealis', 1, 2, 8000.5, false), (3, 'Cygnus', 2, 3, NULL, false), (4, 'Draco', 4, 7, 55000.0, true);
INSERT INTO project VALUES (5, 'Eridanus', 4, 8, 23000.0, NULL), (6, 'Fornax', NULL, NULL, 100.0, false), (7, 'Gemini', 3, 5, 4000.0, true);
INSERT INTO nums VALUES (1, 7, 2, 1.5, 'seven'), (2, -7, 2, -1.5, 'minus seven'), (3, 7, -2, 2.25, 'Seven'), (4, -7, -2, -2.25, NULL), (5, 0, 3, 0.0, ''), (6, 10, 0, 1e10, 'ten');
INSERT INTO nums VALUES (7, NULL, 5, NULL, 'null a'), (8, 5, NULL, 0.1, '  padded  '), (9, 9223372036854775807, 1, 3.75, 'max'), (10, 123456789, 1000, 123.456, 'big');
INSERT INTO kv VALUES ('a', 1, 'first'), ('b', 2, NULL), ('c', 3, 'third');
INSERT INTO tags VALUES (1, 'lead'), (1, 'rust'), (2, 'swift'), (3, 'sales'), (7, 'lead'), (8, 'swift'), (8, 'lead'), (NULL, 'orphan');
SELECT count(*) FROM emp;
SELECT * FROM dept ORDER BY id;

-- ===== WHERE: comparisons =====
SELECT id, name FROM emp WHERE salary = 150000 ORDER BY id;
SELECT id FROM emp WHERE salary <> 150000 ORDER BY id;
SELECT id FROM emp WHERE salary != 95000 ORDER BY id;
SELECT id FROM emp WHERE salary < 60000 ORDER BY id;
SELECT id FROM emp WHERE salary <= 62000 ORDER BY id;
SELECT id FROM emp WHERE salary > 100000 ORDER BY id;
SELECT id FROM emp WHERE salary >= 101000 ORDER BY id;
SELECT id FROM emp WHERE 100000 < salary ORDER BY id;
SELECT id FROM emp WHERE bonus > 1000 ORDER BY id;
SELECT id FROM emp WHERE bonus = 0 ORDER BY id;
SELECT id FROM emp WHERE bonus < 1000.5 ORDER BY id;
SELECT id FROM emp WHERE name = 'bob';
SELECT id FROM emp WHERE name = 'Bob';
SELECT id FROM emp WHERE name < 'Eve' ORDER BY id;
SELECT id FROM emp WHERE name >= 'dave' ORDER BY id;
SELECT id FROM emp WHERE name > 'Z' ORDER BY name;
SELECT id FROM emp WHERE id = 3;
SELECT id FROM emp WHERE id > 12 ORDER BY id;
SELECT id FROM emp WHERE id <= 2 ORDER BY id DESC;
SELECT id FROM emp WHERE dept_id = 4 ORDER BY id;
SELECT id FROM emp WHERE dept_id >= 3 ORDER BY id;
SELECT k FROM kv WHERE k = 'b';
SELECT k FROM kv WHERE k > 'a' ORDER BY k;
SELECT id FROM emp WHERE salary = bonus;
SELECT id FROM emp WHERE salary > bonus * 20 ORDER BY id;
SELECT id FROM emp WHERE hired = 2019 ORDER BY id;
SELECT id FROM emp WHERE salary + 0 = 95000;
SELECT id FROM emp WHERE salary - 1000 > 100000 ORDER BY id;
SELECT id FROM nums WHERE x < 0 ORDER BY id;
SELECT id FROM nums WHERE x = 2.25;
SELECT 1 = 1, 1 = 2, 1 < 2, 2 <= 1, 'a' < 'b', 'b' <> 'b';

-- ===== Logic and NULLs =====
SELECT id FROM emp WHERE active ORDER BY id;
SELECT id FROM emp WHERE NOT active ORDER BY id;
SELECT id FROM emp WHERE active = true ORDER BY id;
SELECT id FROM emp WHERE active = false ORDER BY id;
SELECT id FROM emp WHERE active IS NULL ORDER BY id;
SELECT id FROM emp WHERE active IS NOT NULL AND NOT active ORDER BY id;
SELECT id FROM emp WHERE salary > 90000 AND dept_id = 1 ORDER BY id;
SELECT id FROM emp WHERE salary > 140000 OR dept_id = 3 ORDER BY id;
SELECT id FROM emp WHERE NOT (salary > 90000) ORDER BY id;
SELECT id FROM emp WHERE NOT (salary > 90000) OR salary IS NULL ORDER BY id;
SELECT id FROM emp WHERE salary IS NULL ORDER BY id;
SELECT id FROM emp WHERE salary IS NOT NULL AND bonus IS NULL ORDER BY id;
SELECT id FROM emp WHERE dept_id IS NULL ORDER BY id;
SELECT id FROM emp WHERE (dept_id = 1 OR dept_id = 2) AND active ORDER BY id;
SELECT id FROM emp WHERE dept_id = 1 OR dept_id = 2 AND active ORDER BY id;
SELECT id FROM emp WHERE NOT (dept_id = 1 OR bonus IS NULL) ORDER BY id;
SELECT id FROM emp WHERE NOT (dept_id <> 1 AND salary < 100000) ORDER BY id;
SELECT NULL AND true, NULL AND false, NULL OR true, NULL OR false, NOT NULL;
SELECT true AND true, true OR false, NOT false, false AND NULL, true OR NULL;
SELECT NULL = NULL, NULL <> 1, 1 < NULL, NULL IS NULL, 1 IS NULL, NULL IS NOT NULL;
SELECT id FROM emp WHERE manager_id = NULL;
SELECT id FROM emp WHERE NOT (manager_id = 1) ORDER BY id;
SELECT id, active AND salary > 60000 FROM emp ORDER BY id;
SELECT id, active OR salary > 60000 FROM emp ORDER BY id;
SELECT id, NOT active FROM emp ORDER BY id;
SELECT id, salary IS NULL, bonus IS NOT NULL FROM emp ORDER BY id;
SELECT count(*) FROM emp WHERE active OR NOT active;
SELECT count(*) FROM emp WHERE (salary > 50000) IS NULL;

-- ===== IN, EXISTS, BETWEEN =====
SELECT id FROM emp WHERE dept_id IN (1, 3) ORDER BY id;
SELECT id FROM emp WHERE dept_id NOT IN (1, 3) ORDER BY id;
SELECT id FROM emp WHERE dept_id IN (2) ORDER BY id;
SELECT id FROM emp WHERE name IN ('Alice', 'bob', 'nobody') ORDER BY id;
SELECT id FROM emp WHERE dept_id NOT IN (1, NULL);
SELECT id FROM emp WHERE dept_id IN (1, NULL) ORDER BY id;
SELECT 1 IN (1, 2), 3 IN (1, 2), 3 IN (1, NULL), 1 IN (1, NULL), 3 NOT IN (1, NULL), NULL IN (1);
SELECT id FROM emp WHERE id IN (SELECT lead_id FROM project) ORDER BY id;
SELECT id FROM emp WHERE id NOT IN (SELECT lead_id FROM project WHERE lead_id IS NOT NULL) ORDER BY id;
SELECT id FROM emp WHERE id NOT IN (SELECT lead_id FROM project);
SELECT id FROM emp WHERE dept_id IN (SELECT id FROM dept WHERE city = 'Oslo') ORDER BY id;
SELECT name FROM dept WHERE id IN (SELECT dept_id FROM emp WHERE salary > 100000) ORDER BY name;
SELECT name FROM dept WHERE id NOT IN (SELECT dept_id FROM emp WHERE dept_id IS NOT NULL) ORDER BY name;
SELECT name FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id AND e.salary > 100000) ORDER BY name;
SELECT name FROM dept d WHERE NOT EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id) ORDER BY name;
SELECT name FROM dept d WHERE EXISTS (SELECT 1 FROM project p WHERE p.dept_id = d.id AND p.done) ORDER BY name;
SELECT count(*) FROM emp WHERE EXISTS (SELECT 1 FROM dept WHERE budget > 1000000);
SELECT count(*) FROM emp WHERE EXISTS (SELECT 1 FROM dept WHERE budget > 100);
SELECT id FROM emp e WHERE EXISTS (SELECT 1 FROM emp m WHERE m.id = e.manager_id AND m.active) ORDER BY id;
SELECT id FROM emp WHERE salary BETWEEN 60000 AND 100000 ORDER BY id;
SELECT id FROM emp WHERE salary NOT BETWEEN 60000 AND 100000 ORDER BY id;
SELECT id FROM emp WHERE salary BETWEEN 100000 AND 60000;
SELECT id FROM emp WHERE name BETWEEN 'A' AND 'D' ORDER BY id;
SELECT id FROM emp WHERE hired BETWEEN 2015 AND 2019 AND dept_id IN (1, 2) ORDER BY id;
SELECT id FROM nums WHERE x BETWEEN -2 AND 2 ORDER BY id;
SELECT 5 BETWEEN 1 AND 10, 5 BETWEEN 6 AND 10, NULL BETWEEN 1 AND 2, 5 BETWEEN NULL AND 4, 5 NOT BETWEEN 1 AND 4;

-- ===== LIKE =====
SELECT id FROM emp WHERE name LIKE 'A%';
SELECT id FROM emp WHERE name LIKE 'a%';
SELECT id FROM emp WHERE name LIKE '%a%' ORDER BY id;
SELECT id FROM emp WHERE name LIKE '%e' ORDER BY id;
SELECT id FROM emp WHERE name LIKE '_o%' ORDER BY id;
SELECT id FROM emp WHERE name LIKE '___' ORDER BY id;
SELECT id FROM emp WHERE name NOT LIKE '%a%' ORDER BY id;
SELECT id FROM emp WHERE email LIKE '%@x.org' ORDER BY id;
SELECT id FROM emp WHERE email NOT LIKE '%@x.org' ORDER BY id;
SELECT id FROM emp WHERE name LIKE 'Alice';
SELECT id FROM emp WHERE name LIKE '%';
SELECT 'abc' LIKE 'a_c', 'abc' LIKE 'A%', 'ABC' LIKE 'A%', 'a' LIKE '', '' LIKE '%', NULL LIKE 'a';
SELECT id FROM nums WHERE s LIKE '%seven' ORDER BY id;
SELECT id FROM nums WHERE s LIKE '%S%' ORDER BY id;
SELECT id FROM emp WHERE lower(name) LIKE '%i%' ORDER BY id;

-- ===== CASE, COALESCE, NULLIF =====
SELECT id, CASE WHEN salary >= 100000 THEN 'high' WHEN salary >= 60000 THEN 'mid' ELSE 'low' END FROM emp ORDER BY id;
SELECT id, CASE WHEN salary >= 100000 THEN 'high' END FROM emp ORDER BY id;
SELECT id, CASE dept_id WHEN 1 THEN 'eng' WHEN 2 THEN 'sales' ELSE 'other' END FROM emp ORDER BY id;
SELECT id, CASE active WHEN true THEN 'yes' WHEN false THEN 'no' ELSE 'unknown' END FROM emp ORDER BY id;
SELECT CASE WHEN NULL THEN 1 ELSE 2 END, CASE NULL WHEN NULL THEN 1 ELSE 2 END, CASE 1 WHEN 1 THEN 'one' END;
SELECT id, COALESCE(bonus, 0) FROM emp ORDER BY id;
SELECT id, COALESCE(salary, bonus, -1) FROM emp ORDER BY id;
SELECT id, COALESCE(email, name) FROM emp ORDER BY id;
SELECT COALESCE(NULL, NULL, 3), COALESCE(NULL, 'x'), COALESCE(1, 2);
SELECT id, NULLIF(dept_id, 1) FROM emp ORDER BY id;
SELECT NULLIF(1, 1), NULLIF(1, 2), NULLIF(NULL, 1), NULLIF('a', 'b');
SELECT id, salary / NULLIF(hired - 2019, 0) FROM emp WHERE salary IS NOT NULL ORDER BY id;
SELECT sum(CASE WHEN active THEN 1 ELSE 0 END), sum(CASE WHEN NOT active THEN 1 ELSE 0 END) FROM emp;
SELECT id FROM emp WHERE CASE WHEN dept_id = 1 THEN salary > 100000 ELSE salary < 50000 END ORDER BY id;
SELECT id, COALESCE(CASE WHEN bonus > 1000 THEN 'big' END, 'small') FROM emp ORDER BY id;

-- ===== Arithmetic =====
SELECT 1 + 2, 5 - 8, 6 * 7, 7 / 2, 7 % 3;
SELECT -7 / 2, 7 / -2, -7 / -2, -7 % 3, 7 % -3, -7 % -3;
SELECT 7.0 / 2, 7 / 2.0, 1.5 * 2, 0.1 + 0.2, 10 - 0.25;
SELECT 2 + 3 * 4, (2 + 3) * 4, 10 - 4 - 3, 100 / 10 / 5, -3 * -3, - (2 + 3);
SELECT id, a / b, a % b FROM nums WHERE b <> 0 AND id < 9 ORDER BY id;
SELECT id, a + b, a - b, a * b FROM nums WHERE id <= 8 ORDER BY id;
SELECT id, x * 2, x + a, x / 2 FROM nums WHERE id <= 8 ORDER BY id;
SELECT id, -a, -x FROM nums ORDER BY id;
SELECT id, a * 1.5 FROM nums WHERE id <= 8 ORDER BY id;
SELECT id, salary * 12 + COALESCE(bonus, 0) FROM emp ORDER BY id;
SELECT id, salary / 1000, salary % 1000 FROM emp ORDER BY id;
SELECT 1 + NULL, NULL * 2, NULL / 0, 5 - NULL;
SELECT 9223372036854775807 - 1, -9223372036854775807 - 1;
SELECT 1e3, 2.5e-1, 123.456 * 1000;
SELECT 10 / 3 * 3 + 10 % 3;
SELECT id FROM nums WHERE a % 2 = 1 ORDER BY id;
SELECT id FROM nums WHERE a % 2 = -1 ORDER BY id;
SELECT id, a / 2 * 2 FROM nums WHERE a IS NOT NULL ORDER BY id;

-- ===== String functions =====
SELECT id, lower(name), upper(name) FROM emp ORDER BY id;
SELECT id, length(name), length(email) FROM emp ORDER BY id;
SELECT id, substr(name, 2, 3), substr(name, 3) FROM emp ORDER BY id;
SELECT id, name || '@' || COALESCE(email, '-') FROM emp ORDER BY id;
SELECT id, name || NULL FROM emp WHERE id < 3 ORDER BY id;
SELECT id, replace(email, '.org', '.com') FROM emp ORDER BY id;
SELECT id, trim(s), ltrim(s), rtrim(s), length(trim(s)) FROM nums ORDER BY id;
SELECT upper('abc'), lower('MiXeD'), length(''), length('héllo'), substr('hello', 1, 1), substr('hello', 5, 10);
SELECT trim('  x  '), ltrim('  x  '), rtrim('  x  '), replace('aaa', 'a', 'bb'), replace('abc', 'x', 'y'), replace('abc', 'b', '');
SELECT 'a' || 'b' || 'c', 'x' || '', '' || '';
SELECT upper(NULL), length(NULL), substr(NULL, 1, 2), replace(NULL, 'a', 'b'), trim(NULL);
SELECT id FROM emp WHERE upper(name) = 'BOB';
SELECT id FROM emp WHERE length(name) > 5 ORDER BY id;
SELECT id FROM emp WHERE substr(email, 1, 1) = substr(lower(name), 1, 1) ORDER BY id;
SELECT lower(name) FROM emp WHERE dept_id = 1 ORDER BY lower(name);
SELECT id, upper(substr(name, 1, 1)) || lower(substr(name, 2)) FROM emp ORDER BY id;
SELECT substr('hello', 2), substr('hello', 0, 3), substr('hello', 1, 0), substr('hello', 10);
SELECT ltrim('xxhixx', 'x'), rtrim('xxhixx', 'x');
SELECT replace(replace('a-b_c', '-', ' '), '_', ' ');
SELECT 'it''s', length('it''s');
SELECT 'abc' || 1;
SELECT name FROM emp WHERE name || '' = 'Eve';

-- ===== abs, round =====
SELECT abs(-5), abs(5), abs(-2.5), abs(0), abs(NULL);
SELECT id, abs(a), abs(x) FROM nums WHERE id <= 8 ORDER BY id;
SELECT round(2.4), round(-2.4), round(3.14159, 2), round(2.71828, 3), round(1234.5678, 1);
SELECT id, round(x, 1) FROM nums WHERE id <= 8 ORDER BY id;
SELECT id, round(bonus / 3, 2) FROM emp WHERE bonus IS NOT NULL ORDER BY id;
SELECT round(avg(salary), 2) FROM emp;
SELECT abs(a - b) FROM nums WHERE id = 2;

-- ===== ORDER BY, LIMIT, OFFSET, DISTINCT =====
SELECT id, name FROM emp ORDER BY name;
SELECT id, name FROM emp ORDER BY name DESC;
SELECT id FROM emp ORDER BY dept_id NULLS FIRST, salary DESC NULLS LAST, id;
SELECT id FROM emp ORDER BY dept_id NULLS LAST, id DESC;
SELECT id FROM emp ORDER BY dept_id DESC NULLS LAST, salary NULLS FIRST, id;
SELECT id FROM emp ORDER BY salary DESC NULLS FIRST, id;
SELECT id FROM emp ORDER BY active NULLS FIRST, id;
SELECT id, bonus FROM emp ORDER BY bonus DESC NULLS LAST, id;
SELECT id, salary FROM emp WHERE salary IS NOT NULL ORDER BY salary, id DESC;
SELECT id FROM emp ORDER BY hired NULLS LAST, id LIMIT 5;
SELECT id FROM emp ORDER BY id LIMIT 3 OFFSET 2;
SELECT id FROM emp ORDER BY id DESC LIMIT 4 OFFSET 10;
SELECT id FROM emp ORDER BY id LIMIT 0;
SELECT id FROM emp ORDER BY id LIMIT 100 OFFSET 13;
SELECT id FROM emp ORDER BY id LIMIT 5 OFFSET 20;
SELECT id, salary * 2 AS double_pay FROM emp WHERE salary IS NOT NULL ORDER BY double_pay DESC, id;
SELECT id, name FROM emp ORDER BY 2 DESC;
SELECT id, name FROM emp ORDER BY length(name), name;
SELECT id FROM emp ORDER BY COALESCE(bonus, salary, 0) DESC, id;
SELECT DISTINCT dept_id FROM emp ORDER BY dept_id NULLS FIRST;
SELECT DISTINCT active FROM emp ORDER BY active NULLS LAST;
SELECT DISTINCT dept_id, active FROM emp ORDER BY dept_id NULLS LAST, active NULLS LAST;
SELECT DISTINCT salary FROM emp WHERE salary > 90000 ORDER BY salary;
SELECT DISTINCT tag FROM tags ORDER BY tag;
SELECT DISTINCT city FROM dept ORDER BY city NULLS FIRST;
SELECT DISTINCT upper(substr(name, 1, 1)) FROM emp ORDER BY 1;
SELECT name FROM dept ORDER BY budget DESC NULLS LAST LIMIT 2;
SELECT DISTINCT dept_id FROM emp ORDER BY dept_id NULLS LAST LIMIT 2 OFFSET 1;

-- ===== Aggregates, GROUP BY, HAVING =====
SELECT count(*), count(salary), count(bonus), count(active), count(DISTINCT dept_id) FROM emp;
SELECT sum(salary), min(salary), max(salary) FROM emp;
SELECT avg(salary) FROM emp;
SELECT avg(bonus), sum(bonus), min(bonus), max(bonus) FROM emp;
SELECT min(name), max(name), min(email), max(email) FROM emp;
SELECT count(*), sum(salary), avg(salary), min(salary), max(salary) FROM emp WHERE id > 100;
SELECT count(DISTINCT salary), count(DISTINCT active), count(DISTINCT tag) FROM emp, tags WHERE tags.emp_id = emp.id;
SELECT dept_id, count(*) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS FIRST;
SELECT dept_id, sum(salary), max(bonus) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS LAST;
SELECT dept_id, avg(salary) FROM emp WHERE dept_id IS NOT NULL GROUP BY dept_id ORDER BY dept_id;
SELECT dept_id, count(salary), count(*) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS FIRST;
SELECT active, count(*) FROM emp GROUP BY active ORDER BY active NULLS FIRST;
SELECT dept_id, active, count(*) FROM emp GROUP BY dept_id, active ORDER BY dept_id NULLS LAST, active NULLS LAST;
SELECT dept_id, count(*) FROM emp GROUP BY dept_id HAVING count(*) > 2 ORDER BY dept_id;
SELECT dept_id, sum(salary) FROM emp GROUP BY dept_id HAVING sum(salary) > 150000 ORDER BY dept_id;
SELECT dept_id, max(salary) - min(salary) FROM emp GROUP BY dept_id HAVING count(salary) >= 2 ORDER BY dept_id;
SELECT dept_id FROM emp GROUP BY dept_id HAVING avg(salary) < 70000 ORDER BY dept_id NULLS FIRST;
SELECT dept_id, count(*) FROM emp WHERE active GROUP BY dept_id HAVING min(hired) < 2018 ORDER BY dept_id;
SELECT hired / 10 * 10 AS decade, count(*) FROM emp WHERE hired IS NOT NULL GROUP BY hired / 10 * 10 ORDER BY decade;
SELECT length(name), count(*) FROM emp GROUP BY length(name) ORDER BY 1;
SELECT upper(substr(name, 1, 1)), count(*) FROM emp GROUP BY upper(substr(name, 1, 1)) ORDER BY 1;
SELECT dept_id, count(DISTINCT active) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS LAST;
SELECT dept_id, sum(CASE WHEN active THEN salary ELSE 0 END) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS LAST;
SELECT tag, count(*) FROM tags GROUP BY tag ORDER BY count(*) DESC, tag;
SELECT emp_id, count(*) FROM tags GROUP BY emp_id HAVING count(*) > 1 ORDER BY emp_id;
SELECT count(*) FROM (SELECT dept_id FROM emp GROUP BY dept_id) AS g;
SELECT max(c) FROM (SELECT dept_id, count(*) AS c FROM emp GROUP BY dept_id) AS g;
SELECT sum(a), sum(x), avg(x), min(s), max(s) FROM nums WHERE id <= 8;
SELECT count(*) FROM nums WHERE s = '';
SELECT sum(a) FROM nums WHERE a < 0;
SELECT dept_id, min(name), max(name) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS FIRST;
SELECT count(*) > 10, sum(salary) IS NULL FROM emp;
SELECT dept_id, count(*) FROM emp GROUP BY dept_id HAVING dept_id > 1 ORDER BY dept_id;
SELECT dept_id, round(avg(bonus), 2) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS FIRST;

-- ===== Joins =====
SELECT e.id, d.name FROM emp e JOIN dept d ON e.dept_id = d.id ORDER BY e.id;
SELECT e.id, d.name FROM emp e INNER JOIN dept d ON d.id = e.dept_id WHERE d.city = 'Oslo' ORDER BY e.id;
SELECT e.id, d.name FROM emp e LEFT JOIN dept d ON e.dept_id = d.id ORDER BY e.id;
SELECT d.name, e.id FROM dept d LEFT JOIN emp e ON e.dept_id = d.id ORDER BY d.name, e.id NULLS FIRST;
SELECT d.name FROM dept d LEFT JOIN emp e ON e.dept_id = d.id WHERE e.id IS NULL;
SELECT d.name, count(e.id) FROM dept d LEFT JOIN emp e ON e.dept_id = d.id GROUP BY d.name ORDER BY d.name;
SELECT d.name, sum(e.salary) FROM dept d JOIN emp e ON e.dept_id = d.id GROUP BY d.name ORDER BY sum(e.salary) DESC;
SELECT e.name, m.name FROM emp e JOIN emp m ON e.manager_id = m.id ORDER BY e.id;
SELECT e.name, m.name FROM emp e LEFT JOIN emp m ON e.manager_id = m.id ORDER BY e.id;
SELECT e.name, d.name, p.title FROM emp e JOIN dept d ON e.dept_id = d.id JOIN project p ON p.lead_id = e.id ORDER BY p.id;
SELECT e.name, p.title, d.name FROM emp e LEFT JOIN project p ON p.lead_id = e.id LEFT JOIN dept d ON d.id = p.dept_id ORDER BY e.id, p.id NULLS LAST;
SELECT p.title, d.city FROM project p LEFT JOIN dept d ON p.dept_id = d.id ORDER BY p.title;
SELECT p.title, e.name FROM project p JOIN emp e ON p.lead_id = e.id AND e.active ORDER BY p.title;
SELECT p.title, e.name FROM project p LEFT JOIN emp e ON p.lead_id = e.id AND e.salary > 100000 ORDER BY p.title;
SELECT e.id, t.tag FROM emp e JOIN tags t ON t.emp_id = e.id WHERE t.tag = 'lead' ORDER BY e.id;
SELECT e.id, count(t.tag) FROM emp e LEFT JOIN tags t ON t.emp_id = e.id GROUP BY e.id HAVING count(t.tag) = 0 ORDER BY e.id;
SELECT d.city, count(*) FROM emp e JOIN dept d ON e.dept_id = d.id GROUP BY d.city ORDER BY d.city NULLS LAST;
SELECT d.name, p.title, e.name FROM dept d JOIN project p ON p.dept_id = d.id LEFT JOIN emp e ON e.id = p.lead_id WHERE p.cost > 5000 ORDER BY p.cost DESC;
SELECT count(*) FROM emp e JOIN emp f ON e.dept_id = f.dept_id;
SELECT e.id, d.name FROM emp e, dept d WHERE e.dept_id = d.id AND d.budget > 400000 ORDER BY e.id;
SELECT e.id FROM emp e JOIN dept d ON e.dept_id = d.id WHERE e.salary > d.budget / 5 ORDER BY e.id;

-- ===== Scalar and correlated subqueries =====
SELECT name FROM emp WHERE salary = (SELECT max(salary) FROM emp) ORDER BY id;
SELECT name FROM emp WHERE salary > (SELECT avg(salary) FROM emp) ORDER BY id;
SELECT id, (SELECT name FROM dept WHERE dept.id = emp.dept_id) FROM emp ORDER BY id;
SELECT d.name, (SELECT count(*) FROM emp e WHERE e.dept_id = d.id) FROM dept d ORDER BY d.id;
SELECT d.name, (SELECT max(salary) FROM emp e WHERE e.dept_id = d.id) FROM dept d ORDER BY d.id;
SELECT id FROM emp e WHERE salary > (SELECT avg(salary) FROM emp f WHERE f.dept_id = e.dept_id) ORDER BY id;
SELECT id FROM emp e WHERE salary = (SELECT max(salary) FROM emp f WHERE f.dept_id = e.dept_id) ORDER BY id;
SELECT (SELECT count(*) FROM emp), (SELECT count(*) FROM dept), (SELECT max(title) FROM project);
SELECT (SELECT salary FROM emp WHERE id = 999);
SELECT id, salary - (SELECT min(salary) FROM emp) FROM emp WHERE salary IS NOT NULL ORDER BY id;
SELECT title FROM project p WHERE cost > (SELECT avg(cost) FROM project q WHERE q.dept_id = p.dept_id) ORDER BY title;
SELECT name FROM dept d WHERE (SELECT count(*) FROM emp e WHERE e.dept_id = d.id) >= 3 ORDER BY name;
SELECT g.dept_id, g.total FROM (SELECT dept_id, sum(salary) AS total FROM emp GROUP BY dept_id) g WHERE g.total > 200000 ORDER BY g.dept_id;
SELECT s.name FROM (SELECT name, salary FROM emp WHERE active) AS s WHERE s.salary < 100000 ORDER BY s.name;
SELECT id FROM emp WHERE dept_id = (SELECT id FROM dept WHERE name = 'Research') ORDER BY id;
SELECT id FROM emp WHERE manager_id IN (SELECT id FROM emp WHERE manager_id IS NULL) ORDER BY id;
SELECT id FROM emp e WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.emp_id = e.id) ORDER BY id;

-- ===== UNION, INTERSECT, EXCEPT =====
SELECT dept_id FROM emp UNION SELECT dept_id FROM project ORDER BY 1 NULLS FIRST;
SELECT dept_id FROM emp UNION ALL SELECT dept_id FROM project ORDER BY 1 NULLS LAST;
SELECT name FROM emp WHERE dept_id = 1 UNION SELECT name FROM dept ORDER BY 1;
SELECT lead_id FROM project INTERSECT SELECT id FROM emp WHERE active ORDER BY 1;
SELECT id FROM emp EXCEPT SELECT lead_id FROM project ORDER BY 1;
SELECT dept_id FROM emp EXCEPT SELECT id FROM dept;
SELECT id FROM dept EXCEPT SELECT dept_id FROM emp;
SELECT tag FROM tags WHERE emp_id = 1 UNION ALL SELECT tag FROM tags WHERE emp_id = 8;
SELECT tag FROM tags WHERE emp_id = 1 INTERSECT SELECT tag FROM tags WHERE emp_id = 8;
SELECT tag FROM tags WHERE emp_id = 8 EXCEPT SELECT tag FROM tags WHERE emp_id = 1;
SELECT 1, 'a' UNION SELECT 2, 'b' UNION SELECT 1, 'a' ORDER BY 1;
SELECT 1 UNION ALL SELECT 1 UNION ALL SELECT NULL;
SELECT NULL UNION SELECT NULL;
SELECT id, name FROM emp WHERE id < 3 UNION ALL SELECT id, title FROM project WHERE id < 3 ORDER BY 1, 2;
SELECT dept_id FROM emp UNION SELECT dept_id FROM project ORDER BY 1 DESC NULLS LAST LIMIT 3;
SELECT city FROM dept INTERSECT SELECT city FROM dept WHERE budget IS NULL;
SELECT count(*) FROM (SELECT dept_id FROM emp UNION SELECT dept_id FROM project) AS u;

-- ===== UPDATE, DELETE and the table afterwards =====
UPDATE emp SET salary = salary + 1000 WHERE dept_id = 1;
SELECT id, salary FROM emp ORDER BY id;
UPDATE emp SET bonus = 0 WHERE bonus IS NULL AND salary IS NOT NULL;
SELECT id, bonus FROM emp ORDER BY id;
UPDATE emp SET active = NOT active WHERE active IS NOT NULL AND hired < 2016;
SELECT id, active FROM emp ORDER BY id;
UPDATE emp SET name = upper(name), hired = hired + 1 WHERE id IN (2, 4);
SELECT id, name, hired FROM emp WHERE id IN (2, 4) ORDER BY id;
UPDATE emp SET salary = NULL WHERE salary > 1000000;
UPDATE emp SET manager_id = (SELECT id FROM emp WHERE name = 'Grace') WHERE dept_id = 4 AND id <> 7;
SELECT id, manager_id FROM emp WHERE dept_id = 4 ORDER BY id;
UPDATE project SET cost = cost * 1.1 WHERE done;
SELECT id, cost FROM project ORDER BY id;
UPDATE project SET done = true WHERE done IS NULL;
UPDATE dept SET budget = COALESCE(budget, 0) + 1;
SELECT id, budget FROM dept ORDER BY id;
UPDATE emp SET email = 'alice@x.org' WHERE id = 2;
SELECT email FROM emp WHERE id = 2;
UPDATE emp SET salary = salary WHERE id = 999;
UPDATE kv SET v = v * 10;
SELECT k, v FROM kv ORDER BY k;
UPDATE emp SET dept_id = 5 WHERE id IN (SELECT lead_id FROM project WHERE NOT done);
SELECT id, dept_id FROM emp ORDER BY id;
DELETE FROM tags WHERE emp_id IS NULL;
SELECT count(*) FROM tags;
DELETE FROM tags WHERE tag = 'lead' AND emp_id > 1;
SELECT emp_id, tag FROM tags ORDER BY emp_id, tag;
DELETE FROM project WHERE cost < 1000 OR lead_id IS NULL;
SELECT id FROM project ORDER BY id;
DELETE FROM emp WHERE id = 999;
DELETE FROM log;
UPDATE emp SET bonus = bonus + 1 RETURNING id, bonus;
DELETE FROM kv WHERE k = 'b' RETURNING k, v;
SELECT k FROM kv ORDER BY k;

-- ===== INSERT … SELECT, defaults, constraints =====
INSERT INTO log (id, msg) SELECT id, 'emp ' || name FROM emp WHERE dept_id = 1;
SELECT id, msg FROM log ORDER BY id;
INSERT INTO log SELECT id + 100, title FROM project;
SELECT count(*), min(id), max(id) FROM log;
INSERT INTO log (id) VALUES (500);
SELECT id, msg FROM log WHERE id = 500;
INSERT INTO log (msg, id) VALUES ('swapped', 501);
SELECT msg FROM log WHERE id = 501;
INSERT INTO kv VALUES ('d', 4, 'fourth'), ('e', 5, NULL) RETURNING k;
INSERT INTO log VALUES (500, 'duplicate');
INSERT INTO kv VALUES ('a', 99, 'dup');
INSERT INTO kv VALUES ('z', NULL, 'not null');
INSERT INTO dept VALUES (9, 'Sales', 1.0, 'Oslo');
INSERT INTO tags VALUES (1, 'rust');
INSERT INTO tags VALUES (NULL, 'orphan'), (NULL, 'orphan');
SELECT count(*) FROM tags WHERE emp_id IS NULL;
INSERT INTO log SELECT id + 1000, name FROM dept WHERE budget IS NULL;
SELECT count(*) FROM log WHERE id > 1000;

-- ===== UPSERT =====
INSERT INTO kv VALUES ('a', 100, 'new') ON CONFLICT (k) DO NOTHING;
SELECT k, v, note FROM kv WHERE k = 'a';
INSERT INTO kv VALUES ('f', 6, 'sixth') ON CONFLICT (k) DO NOTHING;
INSERT INTO kv VALUES ('a', 100, 'new') ON CONFLICT (k) DO UPDATE SET v = excluded.v, note = excluded.note;
SELECT k, v, note FROM kv ORDER BY k;
INSERT INTO kv VALUES ('c', 7, NULL) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v;
SELECT v, note FROM kv WHERE k = 'c';
INSERT INTO kv VALUES ('g', 8, 'g') ON CONFLICT (k) DO UPDATE SET v = 0;
SELECT k, v FROM kv WHERE k = 'g';
INSERT INTO kv VALUES ('g', 9, 'g2'), ('h', 10, 'h') ON CONFLICT (k) DO UPDATE SET note = excluded.note;
SELECT k, v, note FROM kv WHERE k IN ('g', 'h') ORDER BY k;
INSERT INTO kv VALUES ('a', 1, 'x') ON CONFLICT (k) DO UPDATE SET v = excluded.v WHERE kv.v > 1000;
SELECT v FROM kv WHERE k = 'a';
INSERT INTO tags VALUES (2, 'swift') ON CONFLICT (emp_id, tag) DO NOTHING;
INSERT INTO kv VALUES ('a', 1, 'x') ON CONFLICT (k) DO UPDATE SET v = excluded.v RETURNING k, v;
INSERT INTO dept VALUES (1, 'Other', 0.0, NULL) ON CONFLICT (id) DO UPDATE SET city = 'Stavanger';
SELECT id, name, city FROM dept ORDER BY id;

-- ===== Transactions =====
BEGIN;
INSERT INTO log VALUES (900, 'in tx');
UPDATE kv SET v = -1;
SELECT count(*) FROM log WHERE id = 900;
ROLLBACK;
SELECT count(*) FROM log WHERE id = 900;
SELECT k, v FROM kv ORDER BY k;
BEGIN;
INSERT INTO log VALUES (901, 'kept');
DELETE FROM kv WHERE k = 'h';
COMMIT;
SELECT id, msg FROM log WHERE id >= 900 ORDER BY id;
SELECT count(*) FROM kv WHERE k = 'h';
BEGIN;
DELETE FROM emp;
SELECT count(*) FROM emp;
ROLLBACK;
SELECT count(*) FROM emp;
BEGIN;
UPDATE dept SET name = name || '!' WHERE id = 5;
SELECT name FROM dept WHERE id = 5;
COMMIT;
SELECT name FROM dept WHERE id = 5;

-- ===== ALTER TABLE =====
ALTER TABLE kv ADD COLUMN extra integer;
SELECT k, extra FROM kv ORDER BY k;
ALTER TABLE kv ADD COLUMN label text DEFAULT 'none';
SELECT k, label FROM kv ORDER BY k;
INSERT INTO kv (k, v, extra) VALUES ('x', 24, 42);
SELECT k, v, extra, label FROM kv WHERE k = 'x';
UPDATE kv SET extra = v * 2 WHERE extra IS NULL;
SELECT k, extra FROM kv ORDER BY k;
ALTER TABLE kv RENAME COLUMN note TO remark;
SELECT k, remark FROM kv ORDER BY k;
SELECT note FROM kv;
ALTER TABLE log RENAME TO journal;
SELECT count(*) FROM journal;
SELECT count(*) FROM log;
ALTER TABLE kv ADD COLUMN k text;
ALTER TABLE kv RENAME COLUMN missing TO other;

-- ===== Errors both engines raise =====
SELECT * FROM missing_table;
SELECT missing_column FROM emp;
SELEC 1;
SELECT FROM WHERE;
INSERT INTO emp (id) VALUES (100);
CREATE TABLE dept (id integer);
CREATE TABLE IF NOT EXISTS dept (id integer);
DROP TABLE missing_table;
DROP TABLE IF EXISTS missing_table;
SELECT e.nope FROM emp e;
SELECT id FROM emp e JOIN dept d ON e.dept_id = d.id;
SELECT count(*) FROM emp GROUP BY;
UPDATE missing_table SET a = 1;
DELETE FROM missing_table;
INSERT INTO kv (k, v, nope) VALUES ('q', 1, 2);

-- ===== Drop and recreate =====
CREATE TABLE scratch (id integer PRIMARY KEY, v text);
INSERT INTO scratch VALUES (1, 'one'), (2, 'two');
CREATE INDEX scratch_v ON scratch (v);
SELECT id FROM scratch WHERE v = 'two';
DROP INDEX scratch_v;
SELECT id FROM scratch WHERE v = 'two';
DROP TABLE scratch;
SELECT * FROM scratch;
CREATE TABLE scratch (id integer PRIMARY KEY, w double precision);
INSERT INTO scratch VALUES (1, 2.5);
SELECT id, w FROM scratch;

-- ===== Known dialect differences (see expected-differences.md) =====
SELECT 1 / 0;
SELECT 7 % 0;
SELECT a / b FROM nums WHERE id = 6;
SELECT 1.5 / 0;
SELECT id FROM emp ORDER BY salary, id;
SELECT id FROM emp ORDER BY dept_id DESC, id;
SELECT (SELECT id FROM emp WHERE dept_id = 1);
SELECT dept_id, name FROM emp GROUP BY dept_id;
SELECT CAST('abc' AS integer);
SELECT CAST(2.5 AS text), CAST(10 AS double precision);
SELECT 'abc' + 1;
SELECT id FROM emp WHERE name = 5;
SELECT 9223372036854775807 + 1;
SELECT sum(a) FROM nums;
SELECT id FROM emp ORDER BY id OFFSET 12;
SELECT round(2.5), round(-2.5), round(0.5);
INSERT INTO nums VALUES (11, 1.5, 0, 0, 'half');
SELECT a FROM nums WHERE id = 11;
INSERT INTO nums VALUES (12, '12', 0, 0, 'text number');
SELECT a, a + 1 FROM nums WHERE id = 12;
INSERT INTO nums VALUES (NULL, 1, 1, 1, 'null key');
SELECT substr('hello', -3), substr('hello', 2, -1);
SELECT avg(a) FROM nums WHERE id IN (1, 3, 5);
SELECT 'abc' < 'ABC', 'a' < 'B';
SELECT length(CAST(1e10 AS text));
SELECT true + 1;
SELECT count(*) FROM emp WHERE active = 1;
SELECT 10 / 4, 10 / 4.0, CAST(10 AS double precision) / 4;

-- ===== Edge cases: statement atomicity and the Halloween problem =====
CREATE TABLE acct (id integer PRIMARY KEY, owner text UNIQUE, balance integer NOT NULL, tier integer);
CREATE INDEX acct_balance ON acct (balance);
CREATE INDEX acct_tier ON acct (tier);
INSERT INTO acct VALUES (1, 'ann', 100, 1), (2, 'ben', 200, 1), (3, 'cat', 300, 2), (4, 'dan', 400, 2), (5, 'eli', 500, 3);
UPDATE acct SET balance = balance * 2 WHERE balance > 150;
SELECT id, balance FROM acct ORDER BY id;
UPDATE acct SET balance = balance + 1000 WHERE balance >= 400 AND balance < 5000;
SELECT id, balance FROM acct ORDER BY id;
UPDATE acct SET tier = tier + 1 WHERE tier >= 2;
SELECT id, tier FROM acct ORDER BY id;
UPDATE acct SET id = id + 10 WHERE id > 3;
SELECT id, owner FROM acct ORDER BY id;
INSERT INTO acct SELECT id + 100, owner || '2', balance, tier FROM acct;
SELECT count(*), sum(balance) FROM acct;
DELETE FROM acct WHERE balance > (SELECT avg(balance) FROM acct);
SELECT id FROM acct ORDER BY id;
UPDATE acct SET owner = 'ann' WHERE id IN (2, 3);
SELECT id, owner FROM acct ORDER BY id;
INSERT INTO acct VALUES (50, 'new1', 1, 1), (51, 'new2', 2, 1), (52, 'ann', 3, 1);
SELECT count(*) FROM acct WHERE id >= 50;
INSERT INTO acct VALUES (60, 'x1', 1, 1), (60, 'x2', 2, 1);
SELECT count(*) FROM acct WHERE id = 60;
UPDATE acct SET balance = NULL WHERE id = 1;
SELECT balance FROM acct WHERE id = 1;
UPDATE acct SET balance = tier, tier = balance WHERE id = 2;
SELECT balance, tier FROM acct WHERE id = 2;
DELETE FROM acct WHERE id IN (SELECT id FROM acct WHERE tier = 1);
SELECT id, tier FROM acct ORDER BY id;
DELETE FROM acct WHERE balance BETWEEN 0 AND 500;
SELECT id, balance FROM acct ORDER BY id;
UPDATE acct SET owner = owner || '!' WHERE owner LIKE '%2' RETURNING id, owner;
SELECT id, owner FROM acct ORDER BY id;

-- ===== Edge cases: empty inputs and NULL corners =====
CREATE TABLE empty (id integer PRIMARY KEY, v integer, t text);
SELECT count(*), count(v), sum(v), avg(v), min(t), max(t) FROM empty;
SELECT v, count(*) FROM empty GROUP BY v;
SELECT count(*) FROM emp HAVING count(*) > 100;
SELECT count(*) FROM emp HAVING count(*) > 1;
SELECT 1 WHERE false;
SELECT 1 WHERE 1 = 1;
SELECT NULL IN (SELECT v FROM empty), NULL NOT IN (SELECT v FROM empty), 1 IN (SELECT v FROM empty);
SELECT EXISTS (SELECT 1 FROM empty), NOT EXISTS (SELECT 1 FROM empty);
SELECT (SELECT v FROM empty);
SELECT e.id FROM emp e LEFT JOIN empty x ON x.id = e.id WHERE x.id IS NULL ORDER BY e.id LIMIT 3;
SELECT count(*) FROM emp JOIN empty ON empty.id = emp.id;
SELECT id FROM empty UNION SELECT id FROM empty;
SELECT id FROM dept EXCEPT SELECT id FROM empty ORDER BY id;
SELECT sum(salary + bonus), count(salary + bonus) FROM emp;
SELECT id FROM emp WHERE id IN (1 + 1, 3 * 1, 20 - 16) ORDER BY id;
SELECT id FROM emp WHERE NOT NOT (id < 3) ORDER BY id;
SELECT id FROM emp WHERE salary IN (95000.0, 70000) ORDER BY id;
SELECT id FROM emp WHERE bonus = 300.25;
SELECT id FROM emp WHERE id IN (SELECT emp_id FROM tags WHERE tag = 'swift') AND id NOT IN (SELECT emp_id FROM tags WHERE tag = 'lead' AND emp_id IS NOT NULL) ORDER BY id;
SELECT id FROM emp WHERE id IN (SELECT id FROM emp ORDER BY salary DESC NULLS LAST, id LIMIT 3) ORDER BY id;
SELECT id, name FROM (SELECT id, name FROM emp ORDER BY id DESC LIMIT 5) AS last5 ORDER BY name;
SELECT d.name FROM dept d WHERE EXISTS (SELECT 1 FROM emp e WHERE e.dept_id = d.id AND EXISTS (SELECT 1 FROM tags t WHERE t.emp_id = e.id AND t.tag = 'swift')) ORDER BY d.name;
SELECT id, EXISTS (SELECT 1 FROM tags t WHERE t.emp_id = emp.id) FROM emp ORDER BY id;
SELECT id, id IN (SELECT lead_id FROM project) FROM emp ORDER BY id;

-- ===== Edge cases: LIKE with characters special elsewhere =====
SELECT 'a.c' LIKE 'a.c', 'abc' LIKE 'a.c', 'a+b' LIKE 'a+b', 'aab' LIKE 'a+b', '(x)' LIKE '(%)', 'a*' LIKE 'a*', 'aa' LIKE 'a*';
SELECT '[abc]' LIKE '[abc]', 'a' LIKE '[abc]', '^a$' LIKE '^a$', 'a|b' LIKE 'a|b', 'a' LIKE 'a|b', 'x{2}' LIKE 'x{2}', 'xx' LIKE 'x{2}';
SELECT 'é' LIKE '_', 'héllo' LIKE 'h_llo', 'abc' LIKE '%%c', 'abc' LIKE '%b%c%', 'abc' LIKE 'abc%%', 'ab' LIKE 'a_%_';
SELECT 'line1
line2' LIKE 'line1%', 'a
b' LIKE 'a_b';
SELECT 'abc' NOT LIKE 'ABC', 'abc' LIKE 'abcd', 'abcd' LIKE 'abc', '' LIKE '_';

-- ===== Edge cases: joins =====
SELECT e.id, d.id FROM emp e JOIN dept d ON e.salary > d.budget / 5 ORDER BY e.id, d.id;
SELECT e.id, d.id FROM emp e LEFT JOIN dept d ON e.dept_id = d.id AND d.city = 'Oslo' ORDER BY e.id;
SELECT e.id, d.id FROM emp e LEFT JOIN dept d ON e.dept_id = d.id WHERE d.city = 'Oslo' ORDER BY e.id;
SELECT e.id FROM emp e LEFT JOIN dept d ON false ORDER BY e.id LIMIT 2;
SELECT e.id, d.name, p.title FROM emp e LEFT JOIN dept d ON d.id = e.dept_id LEFT JOIN project p ON p.dept_id = d.id AND p.lead_id = e.id ORDER BY e.id;
SELECT e.id, m.id, mm.id FROM emp e JOIN emp m ON m.id = e.manager_id JOIN emp mm ON mm.id = m.manager_id ORDER BY e.id;
SELECT d.name, count(DISTINCT e.id), count(DISTINCT p.id) FROM dept d LEFT JOIN emp e ON e.dept_id = d.id LEFT JOIN project p ON p.dept_id = d.id GROUP BY d.name ORDER BY d.name;
SELECT e.*, d.name FROM emp e JOIN dept d ON d.id = e.dept_id WHERE e.id = 1;
SELECT * FROM emp e JOIN dept d ON d.id = e.dept_id WHERE e.id = 3;
SELECT e.id, x.total FROM emp e JOIN (SELECT dept_id, sum(salary) AS total FROM emp GROUP BY dept_id) x ON x.dept_id = e.dept_id ORDER BY e.id;
SELECT e.id FROM emp e JOIN dept d ON e.dept_id = d.id OR e.manager_id = d.id ORDER BY e.id, d.id;
SELECT count(*) FROM emp CROSS JOIN dept;
SELECT e.id, d.name FROM emp e JOIN dept d USING (id) ORDER BY e.id;
SELECT d.name, e.id FROM emp e RIGHT JOIN dept d ON d.id = e.dept_id ORDER BY d.name, e.id;

-- ===== Edge cases: ordering, grouping, aliases =====
SELECT id, name FROM emp ORDER BY active DESC NULLS LAST, name DESC;
SELECT name, salary FROM emp WHERE salary IS NOT NULL ORDER BY salary DESC, name LIMIT 4 OFFSET 1;
SELECT dept_id, count(*) AS n FROM emp GROUP BY dept_id ORDER BY n DESC, dept_id NULLS LAST;
SELECT dept_id AS d, max(salary) FROM emp GROUP BY d ORDER BY d NULLS FIRST;
SELECT dept_id, count(*) FROM emp GROUP BY 1 ORDER BY 1 NULLS FIRST;
SELECT dept_id FROM emp GROUP BY dept_id ORDER BY max(hired) NULLS FIRST, dept_id NULLS FIRST;
SELECT dept_id, sum(DISTINCT salary), avg(DISTINCT salary) FROM emp GROUP BY dept_id ORDER BY dept_id NULLS FIRST;
SELECT count(*) FROM emp WHERE salary > (SELECT avg(salary) FROM emp) AND dept_id IN (SELECT id FROM dept WHERE budget > 0);
SELECT DISTINCT name FROM emp ORDER BY id;
SELECT id AS x FROM emp WHERE x > 3;
SELECT id, salary AS pay FROM emp ORDER BY pay + 1, id;
SELECT max(count(*)) FROM emp;
SELECT id FROM emp ORDER BY 3;
SELECT id FROM emp LIMIT -1;
SELECT NAME FROM EMP WHERE ID = 1;
SELECT "name" FROM emp WHERE id = 1;
SELECT "Name" FROM emp WHERE id = 1;

-- ===== Edge cases: types, casts and numbers =====
SELECT CAST('12' AS integer), CAST(' 12 ' AS integer), CAST(12 AS text), CAST('1.5' AS double precision), CAST(3 AS double precision) / 2;
SELECT CAST(2.7 AS integer), CAST(-2.7 AS integer);
SELECT CAST('12abc' AS integer);
SELECT CAST('1.5' AS integer);
SELECT CAST('true' AS boolean);
SELECT CAST(1e308 AS double precision) * 10;
SELECT 0.0 / 0;
SELECT (-9223372036854775807 - 1) / -1;
SELECT abs(-9223372036854775807 - 1);
SELECT 5.5 % 2;
SELECT round(1234.5, -2);
SELECT upper('é'), lower('É');
SELECT COALESCE(salary, 'none') FROM emp WHERE id = 4;
SELECT name || salary FROM emp WHERE id = 1;
SELECT length(12345);
SELECT .5 + 5., 1E2, 9223372036854775808;
SELECT CASE WHEN id > 5 THEN 1 ELSE 2.5 END FROM emp WHERE id IN (1, 9) ORDER BY id;
SELECT 'a' = 'a ', 'a ' > 'a', '' IS NULL;
SELECT 12::text;
SELECT -0.0, 1 - 1.0;
