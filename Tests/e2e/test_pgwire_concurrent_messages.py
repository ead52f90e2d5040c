"""Many psycopg connections at once, each sending simple Query messages of several
statements (psycopg uses the simple protocol when a query has no parameters).

Each message is a transfer between two accounts plus a line in a ledger, and it runs as one
implicit transaction: when its last statement fails (a duplicate ledger id, a division by
zero), or it loses a conflict or a deadlock to another connection, none of it may stay.
After the run the ledger explains every balance exactly, and the money is all there."""
import random
import threading

import psycopg
import pytest

ACCOUNTS = 12
START_BALANCE = 1000
CONNECTIONS = 8
MESSAGES = 150


def transfer_message(ledger_id, source, target, amount, failure):
    """One message: two updates and the ledger line; `failure` makes the last statement fail."""
    ledger = f"INSERT INTO ledger VALUES ({ledger_id}, {source}, {target}, {amount})"
    if failure == "duplicate":
        ledger = f"INSERT INTO ledger VALUES (0, {source}, {target}, {amount})"  # id 0 is taken
    elif failure == "division":
        ledger = f"INSERT INTO ledger VALUES ({ledger_id}, {source}, {target}, {amount} / 0)"
    return (f"UPDATE accounts SET balance = balance - {amount} WHERE id = {source}; "
            f"UPDATE accounts SET balance = balance + {amount} WHERE id = {target}; {ledger}")


def run_connection(dsn, worker, seed, outcomes):
    rng = random.Random(seed)
    with psycopg.connect(dsn, autocommit=True) as connection:
        for message in range(MESSAGES):
            ledger_id = worker * MESSAGES + message + 1
            source, target = rng.sample(range(1, ACCOUNTS + 1), 2)
            failure = rng.choice([None, None, None, "duplicate", "division"])
            try:
                connection.execute(transfer_message(ledger_id, source, target, rng.randint(1, 50), failure))
                outcomes.append(("ok", ledger_id, failure))
            except psycopg.Error as error:
                outcomes.append((error.sqlstate, ledger_id, failure))


def test_concurrent_multi_statement_messages_are_each_all_or_nothing(server):
    seed = random.randrange(1 << 30)
    with psycopg.connect(server.dsn, autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS accounts; DROP TABLE IF EXISTS ledger")
        connection.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL); "
                           "CREATE TABLE ledger (id int PRIMARY KEY, source int, target int, amount int)")
        connection.execute("INSERT INTO accounts SELECT g, %s FROM generate_series(1, %s) g", (START_BALANCE, ACCOUNTS))
        connection.execute("INSERT INTO ledger VALUES (0, 1, 1, 0)")

    outcomes = []
    workers = [threading.Thread(target=run_connection, args=(server.dsn, worker, seed + worker, outcomes))
               for worker in range(CONNECTIONS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not any(worker.is_alive() for worker in workers), f"seed {seed}: a connection did not finish"
    assert len(outcomes) == CONNECTIONS * MESSAGES

    codes = {code for code, _, _ in outcomes}
    # Failures are the planted ones, or a lost conflict or deadlock (the message is rolled back).
    assert codes <= {"ok", "23505", "22012", "40001", "40P01"}, f"seed {seed}: {codes}"
    for code, ledger_id, failure in outcomes:
        if failure == "duplicate":
            assert code in ("23505", "40001", "40P01"), (seed, code, ledger_id)
        elif failure == "division":
            assert code in ("22012", "40001", "40P01"), (seed, code, ledger_id)
    acknowledged = {ledger_id for code, ledger_id, _ in outcomes if code == "ok"}
    assert acknowledged, f"seed {seed}: no message succeeded"
    print("outcomes:", {code: sum(1 for c, _, _ in outcomes if c == code) for code in codes})

    with psycopg.connect(server.dsn, autocommit=True) as connection:
        ledger = connection.execute("SELECT id, source, target, amount FROM ledger WHERE id > 0").fetchall()
        balances = dict(connection.execute("SELECT id, balance FROM accounts").fetchall())
    assert {row[0] for row in ledger} == acknowledged, f"seed {seed}: the ledger is not the acknowledged messages"
    expected = {account: START_BALANCE for account in range(1, ACCOUNTS + 1)}
    for _, source, target, amount in ledger:
        expected[source] -= amount
        expected[target] += amount
    assert balances == expected, f"seed {seed}: a failed message left an update behind"
    assert sum(balances.values()) == ACCOUNTS * START_BALANCE
