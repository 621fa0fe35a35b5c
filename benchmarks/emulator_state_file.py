"""The emulator's state file with a large ledger: file size, write and load times.

``.venv/bin/python -m benchmarks.emulator_state_file [--transactions 100000]``

Two Items of ``--transactions`` transactions each, side by side in one run:

* *generated*: ``generate_transactions`` made the history, then 100 changes (adds,
  modifications, removals): the file holds the generator's arguments and the changes;
* *added*: the same number of transactions added one ``add_transactions`` at a time, so
  every row is a change the file must hold in full (the worst case).

For each: the file's size, the first write (snapshot, JSON, fsync, rename), a write after
a small change to *another* Item (the large ledger's text is cached), and the load into
a new emulator (for *generated*, that regenerates the history). Needs no database.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from django_plaid.emulator.state import EmulatorState
from django_plaid.emulator.state_file import StateFile


def _timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def _measure(name: str, build: object, folder: Path) -> dict[str, float]:
    path = folder / f"{name}.json"
    state = EmulatorState()
    item = state.create_item(transactions_ready=True)
    build(state, item)  # type: ignore[operator]
    other = state.create_item()
    state_file = StateFile(path, state)
    first = _timed(state_file.open)
    size = path.stat().st_size
    state.add_transactions(other, 1)
    again = _timed(state_file.flush)
    truth = state.transactions_truth(item)
    loaded = EmulatorState()
    load = _timed(StateFile(path, loaded).open)
    assert loaded.transactions_truth(item.item_id) == truth
    return {
        "transactions": len(item.ledger),
        "size": size,
        "first": first,
        "again": again,
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=100_000)
    count = parser.parse_args().transactions

    def generated(state: EmulatorState, item: object) -> None:
        state.generate_transactions(item, count, notify=False)  # type: ignore[arg-type]
        for _ in range(40):
            state.add_transactions(item, 1, notify=False)  # type: ignore[arg-type]
        for _ in range(40):
            state.modify_transaction(item, notify=False)  # type: ignore[arg-type]
        for _ in range(20):
            state.remove_transaction(item, notify=False)  # type: ignore[arg-type]

    def added(state: EmulatorState, item: object) -> None:
        state.generate_transactions(item, 0, notify=False)  # type: ignore[arg-type]
        state.add_transactions(item, count, notify=False)  # type: ignore[arg-type]

    with tempfile.TemporaryDirectory() as folder:
        rows = {
            "generated + 100 changes": _measure("generated", generated, Path(folder)),
            "every row added": _measure("added", added, Path(folder)),
        }
    print(f"{'':26} {'log':>8} {'file':>10} {'1st write':>10} {'next write':>11} {'load':>8}")
    for name, row in rows.items():
        print(
            f"{name:26} {row['transactions']:>8,} {row['size'] / 1e6:>8.2f}MB "
            f"{row['first'] * 1000:>8.0f}ms {row['again'] * 1000:>9.1f}ms "
            f"{row['load'] * 1000:>6.0f}ms"
        )
    seed, full = rows.values()
    print(
        f"generated vs added: file {seed['size'] / full['size']:.3f}x, "
        f"next write {seed['again'] / full['again']:.2f}x, "
        f"load {seed['load'] / full['load']:.2f}x"
    )


if __name__ == "__main__":
    main()
