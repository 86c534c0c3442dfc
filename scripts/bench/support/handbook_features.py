"""The pandas peer of `npm run bench -- score`: the Fraud Detection Handbook's baseline feature
transformation (chapter 3), done its way: per customer, rolling windows over a datetime index; per
terminal, rolling counts and fraud sums over delay + window minus the delay alone. Reads the CSV,
computes the 15 features of every row and prints the row count and this process's CPU seconds.

    python3 scripts/bench/support/handbook_features.py FILE
"""
import sys
import time

import pandas as pd

WINDOWS = [1, 7, 30]
DELAY = 7


def customer_windows(tx):
    tx = tx.sort_values("TX_DATETIME")
    tx.index = tx.TX_DATETIME
    for days in WINDOWS:
        rolling = tx["TX_AMOUNT"].rolling(f"{days}d")
        total = rolling.sum()
        count = rolling.count()
        tx[f"CUSTOMER_ID_NB_TX_{days}DAY_WINDOW"] = list(count)
        tx[f"CUSTOMER_ID_AVG_AMOUNT_{days}DAY_WINDOW"] = list(total / count)
    tx.index = tx.TRANSACTION_ID
    return tx


def terminal_windows(tx):
    tx = tx.sort_values("TX_DATETIME")
    tx.index = tx.TX_DATETIME
    delayed = tx["TX_FRAUD"].rolling(f"{DELAY}d")
    frauds_in_delay, count_in_delay = delayed.sum(), delayed.count()
    for days in WINDOWS:
        reach = tx["TX_FRAUD"].rolling(f"{DELAY + days}d")
        frauds = reach.sum() - frauds_in_delay
        count = reach.count() - count_in_delay
        tx[f"TERMINAL_ID_NB_TX_{days}DAY_WINDOW"] = list(count)
        tx[f"TERMINAL_ID_RISK_{days}DAY_WINDOW"] = list(frauds / count)
    tx.index = tx.TRANSACTION_ID
    return tx.fillna(0)


def main(path):
    df = pd.read_csv(path, parse_dates=["TX_DATETIME"])
    df["TX_DURING_WEEKEND"] = df.TX_DATETIME.apply(lambda at: int(at.weekday() >= 5))
    df["TX_DURING_NIGHT"] = df.TX_DATETIME.apply(lambda at: int(at.hour <= 6))
    df = df.groupby("CUSTOMER_ID", group_keys=False).apply(customer_windows)
    df = df.sort_values("TX_DATETIME").reset_index(drop=True)
    df = df.groupby("TERMINAL_ID", group_keys=False).apply(terminal_windows)
    df = df.sort_values("TX_DATETIME").reset_index(drop=True)
    print(f"rows {len(df)}")
    print(f"cpu {time.process_time()}")


if __name__ == "__main__":
    main(sys.argv[1])
