"""The naive peer of `npm run bench -- detector`: a fraud detector of the kind a first tutorial builds,
in Python with kafka-python, message by message. For each transaction: parse the JSON, update the
card's and the terminal's history kept in this process (lists of (time, amount), trimmed to 30 days),
compute the baseline window features (1, 7 and 30 days: count and mean amount per card, count per
terminal), score them with a fixed logistic model, and produce an alert for a high score. Offsets are
committed by kafka-python's auto-commit. It stops after --count transactions and prints, on one line,
`naive-detector <count> <seconds from the first message to the last> <alerts>`.

    python3 naive_detector.py --brokers HOST:PORT --input TOPIC --output TOPIC --group ID --count N
"""
import argparse
import json
import math
import time
from collections import defaultdict
from datetime import datetime

from kafka import KafkaConsumer, KafkaProducer

DAY = 86400.0
WINDOWS = (1, 7, 30)
# Fixed weights (made up, in the spirit of a tutorial's logistic regression): amount against the
# card's 7-day mean, the card's and the terminal's 1-day counts, the amount itself.
WEIGHTS = {"bias": -6.0, "ratio7": 1.1, "count1": 0.15, "terminal_count1": 0.05, "amount": 0.004}


def features(history, now, amount):
    out = {}
    for days in WINDOWS:
        since = now - days * DAY
        amounts = [a for (t, a) in history if t > since]
        out[f"count{days}"] = len(amounts)
        out[f"mean{days}"] = sum(amounts) / len(amounts) if amounts else 0.0
    out["ratio7"] = amount / out["mean7"] if out["mean7"] > 0 else 1.0
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--brokers", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--count", type=int, required=True)
    args = parser.parse_args()

    consumer = KafkaConsumer(
        args.input,
        bootstrap_servers=args.brokers,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
    )
    producer = KafkaProducer(bootstrap_servers=args.brokers, acks="all")
    cards = defaultdict(list)
    terminals = defaultdict(list)
    seen = 0
    alerts = 0
    first = None
    for message in consumer:
        if first is None:
            first = time.monotonic()
        tx = json.loads(message.value)
        now = datetime.fromisoformat(tx["timestamp"].replace("Z", "+00:00")).timestamp()
        amount = float(tx["amount"])
        card = cards[tx["cardId"]]
        card[:] = [(t, a) for (t, a) in card if t > now - 30 * DAY]
        card_features = features(card, now, amount)
        terminal = terminals[tx["terminalId"]]
        terminal[:] = [(t, a) for (t, a) in terminal if t > now - 30 * DAY]
        terminal_features = features(terminal, now, amount)
        z = (
            WEIGHTS["bias"]
            + WEIGHTS["ratio7"] * card_features["ratio7"]
            + WEIGHTS["count1"] * card_features["count1"]
            + WEIGHTS["terminal_count1"] * terminal_features["count1"]
            + WEIGHTS["amount"] * amount
        )
        score = 1.0 / (1.0 + math.exp(-z))
        card.append((now, amount))
        terminal.append((now, amount))
        if score > 0.5:
            alerts += 1
            producer.send(args.output, key=message.key, value=json.dumps({"transaction": tx, "score": score}).encode())
        seen += 1
        if seen >= args.count:
            break
    producer.flush()
    elapsed = time.monotonic() - (first or time.monotonic())
    consumer.commit()
    consumer.close()
    producer.close()
    print(f"naive-detector {seen} {elapsed:.3f} {alerts}", flush=True)


if __name__ == "__main__":
    main()
