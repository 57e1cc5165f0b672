"""The signals features talk through: one feature asks, the features that know answer.

Each feature connects its receivers in its own `init_app` (in its views module, called from
`create_app`); the asking feature never names the answering ones. Receivers run in the order the
features were set up (`registry.FEATURES`), so rows and seeders come out in a stable order.

| signal | sent by | sender, keyword arguments | each receiver returns |
| --- | --- | --- | --- |
| `dashboard_figures` | dashboard | commune_id; start_day, end_day | rows {key, label, value, url} |
| `purge_personal_data` | retention | commune_id; cutoff_utc, held_checkin_ids | rows purged |
| `card_checkin_ids` | tracing | commune_id; card_number | ids of the card holder's check-ins |
| `linked_checkin_ids` | tracing | commune_id; checkin_ids | the same people's other check-ins |
| `job_kinds` | jobs | the app | a `JobKind` (how to run a background job) |
| `job_queued` | jobs | the app; job_id | nothing (the worker takes the job) |
| `seed_demo` | demo | the commune; context, rng | nothing (adds demo data) |
"""
from __future__ import annotations

from blinker import Namespace, Signal


class _OrderedIds(dict):
    """A set of receiver ids that remembers the order they were added (blinker's `set_class`),
    so receivers run in the order the features connected them."""

    def add(self, item) -> None:
        self[item] = None

    def discard(self, item) -> None:
        self.pop(item, None)

    def copy(self) -> "_OrderedIds":
        return _OrderedIds(self)

    def __or__(self, other) -> "_OrderedIds":
        merged = _OrderedIds(self)
        merged.update(dict.fromkeys(other))
        return merged


class OrderedSignal(Signal):
    """A blinker signal whose receivers run in connection order."""

    set_class = _OrderedIds


class _OrderedNamespace(Namespace):
    """A namespace of ordered signals."""

    def signal(self, name: str, doc: str | None = None) -> OrderedSignal:
        try:
            return self[name]
        except KeyError:
            return self.setdefault(name, OrderedSignal(doc))


_signals = _OrderedNamespace()

dashboard_figures = _signals.signal("dashboard-figures", "Extra rows of the dashboard.")
purge_personal_data = _signals.signal("purge-personal-data",
                                      "Delete a feature's personal data past retention.")
card_checkin_ids = _signals.signal("card-checkin-ids", "Check-ins of a card's holder.")
linked_checkin_ids = _signals.signal("linked-checkin-ids", "Other records of the same people.")
job_kinds = _signals.signal("job-kinds", "The kinds of background job features offer.")
job_queued = _signals.signal("job-queued", "A job row was committed: hand it to the worker.")
seed_demo = _signals.signal("seed-demo", "Add a feature's demo data to the demo commune.")


def collect(signal: Signal, sender, **kwargs) -> list:
    """Send `signal` and return the receivers' answers in order."""
    return [answer for _receiver, answer in signal.send(sender, **kwargs)]
