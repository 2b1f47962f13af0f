"""The durable-rules evaluator, behind a small synchronous wrapper that guards the engine's known traps.

The traps (measured on this machine, see DESIGN.md), and where each is guarded:

1. A Host dispatches actions on background threads up to 0.2 s later: `_SyncHost._run` starts no thread and
   `evaluate` drains every pending action itself before reading a result.
2. A fact that no rule matches raises MessageNotHandledException: a catch-all rule matches every fact, and
   `evaluate` checks that every fact reached it.
3. Fact identity is the `id` field: `evaluate` refuses facts without an id or with a repeated one.
4. Errors raised inside actions are swallowed into the state: actions record their own errors and the
   state's `exception` is checked; both are raised.
5. Ruleset names are process-global and a new ruleset per run leaks memory: one ruleset per distinct compiled
   rulebook per process (`DurableEvaluator.for_rules`), facts retracted after every run.
6. Values pass through json.dumps: facts are checked to hold only text, int, float and bool.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from typing import Any

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException

from .compile import CompiledRule, to_durable

# durable-rules logs every error it catches, with a traceback, on the root logger's handlers; the wrapper raises
# those errors itself (or Ctrl-C as Ctrl-C), so the engine's own log would only print a traceback to the user.
logging.getLogger("durable").disabled = True

CATCH_ALL = "__catch_all__"
FACT_MARK = "ctg_fact"  # a field that every asserted fact carries, and nothing else
_JSON_SAFE = (str, int, float, bool)


class DurableError(RuntimeError):
    """The rules engine failed: the run is refused rather than returning incomplete results."""


class _SyncHost(Host):
    """A Host that never dispatches on its own: every action runs inside `DurableEvaluator.evaluate`."""

    def __init__(self, actions: dict[str, Any]):
        self._named_actions = actions
        super().__init__()

    def _run(self) -> None:  # trap 1: no background timers
        self._d_timer = None
        self._t_timer = None

    def get_action(self, action_name: str) -> Any:
        return self._named_actions[action_name]


class DurableEvaluator:
    """Evaluates compiled rules on facts with durable-rules; one instance (and ruleset) per rule set per process."""

    _instances: dict[str, DurableEvaluator] = {}
    _lock = threading.Lock()

    def __init__(self, rules: Sequence[CompiledRule]):
        self.rules = list(rules)
        definition = {}
        actions: dict[str, Any] = {}
        for index, rule in enumerate(self.rules):
            name = f"r{index}"
            definition[name] = {"all": [{"m": to_durable(rule.condition)}], "run": name}
            actions[name] = self._recorder(rule.id)
        # Matches facts only: the engine's own state messages also carry an id, and a catch-all on `id` would
        # fire on every state update, for ever.
        definition[CATCH_ALL] = {"all": [{"m": {FACT_MARK: 1}}], "run": CATCH_ALL}
        actions[CATCH_ALL] = self._seen_recorder()
        digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]
        self.ruleset_name = f"ctg_{digest}"
        self._fired: dict[str, list[str]] = {}
        self._seen: set[str] = set()
        self._errors: list[str] = []
        self._host = _SyncHost(actions)
        self._host.set_rulesets({self.ruleset_name: definition})
        self._ruleset = self._host.get_ruleset(self.ruleset_name)

    @classmethod
    def for_rules(cls, rules: Sequence[CompiledRule]) -> DurableEvaluator:
        """The process-wide evaluator for these rules (trap 5: never register a ruleset twice)."""
        key = hashlib.sha256(repr([(r.id, r.condition) for r in rules]).encode()).hexdigest()
        with cls._lock:
            if key not in cls._instances:
                cls._instances[key] = cls(rules)
            return cls._instances[key]

    # -- actions: record what fired; never let an exception vanish into the engine's state (trap 4)
    def _recorder(self, rule_id: str):
        def action(c: Any) -> None:
            try:
                self._fired.setdefault(c.m["id"], []).append(rule_id)
            except BaseException as exc:  # noqa: BLE001 - the engine would swallow it: keep it, raise it later
                self._errors.append((f"{rule_id}: {exc!r}", exc))
        return action

    def _seen_recorder(self):
        # A plain function of one argument, as durable-rules requires of an action (it counts the arguments: a
        # method wrapped by a decorator, as mutation testing wraps them, would be refused).
        def action(c: Any) -> None:
            try:
                self._seen.add(c.m["id"])
            except BaseException as exc:  # noqa: BLE001 - as in _recorder
                self._errors.append((f"{CATCH_ALL}: {exc!r}", exc))
        return action

    # -- evaluation
    def evaluate(self, facts: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
        """Fact id -> ids of the rules that fired on it, complete when this returns."""
        _check_facts(facts)
        facts = [{**f, FACT_MARK: 1} for f in facts]
        with self._lock:
            self._clear_leftovers()
            self._fired, self._seen, self._errors = {}, set(), []
            self._dirty = bool(facts)
            try:
                if facts:
                    self._run(lambda: self._ruleset.assert_facts(list(facts)))
                    self._drain()
                    missing = [f["id"] for f in facts if f["id"] not in self._seen]
                    if missing:  # trap 1/2: a result read before every fact was seen is incomplete
                        raise DurableError(f"rules engine returned before evaluating {len(missing)} facts, "
                                           f"e.g. {missing[0]!r}")
                state = self._ruleset.get_state(None) if facts else {}  # no state before the first fact
                if state.get("exception"):  # the engine keeps it, and every later run would raise it again: clear it
                    cleared = {k: v for k, v in state.items() if k != "exception"}
                    self._run(lambda: self._ruleset.update_state(cleared))
                if any(isinstance(exc, KeyboardInterrupt) for _text, exc in self._errors):
                    raise KeyboardInterrupt  # Ctrl-C while an action ran: the run is abandoned, not wrong
                if self._errors:
                    raise DurableError("error inside a rule action: " + "; ".join(t for t, _exc in self._errors))
                if state.get("exception"):
                    raise DurableError(f"error inside a rule action: {state['exception']}")
                return {k: list(v) for k, v in self._fired.items()}
            finally:
                self._retract(facts)
                self._dirty = False

    def _run(self, call: Any) -> None:
        error: list[BaseException] = []

        def complete(e: Any, _state: Any) -> None:
            if e:
                error.append(e if isinstance(e, BaseException) else DurableError(str(e)))

        try:
            handle = call()
        except MessageNotHandledException:
            return  # nothing matched (cannot happen with the catch-all, but never a crash)
        self._ruleset.do_actions(handle, complete)
        if error:
            _raise(error[0])

    def _drain(self) -> None:
        """Run every action still pending in the engine, synchronously (trap 1)."""
        error: list[Any] = []

        def complete(e: Any, _state: Any) -> None:
            if e:
                error.append(e)

        while True:
            result = durable_rules_engine.start_action(self._ruleset._handle)
            if not result:
                break
            self._ruleset._flush_actions(json.loads(result[0]), {"message": json.loads(result[1])},
                                         result[2], complete)
            if error:
                _raise(error[0])

    def _retract(self, facts: Sequence[dict[str, Any]]) -> None:
        """Remove this run's facts so that the next run starts empty and memory stays flat (trap 5)."""
        if not facts:
            return
        try:
            self._run(lambda: self._ruleset.retract_facts(list(facts)))
            self._drain()
        except MessageNotHandledException:  # pragma: no cover
            pass

    def _clear_leftovers(self) -> None:
        """Retract the facts of an earlier run that was interrupted before its own retraction, so that the
        evaluator stays usable in the same process (the engine would refuse those fact ids again)."""
        if not getattr(self, "_dirty", False):
            return
        held = self._ruleset.get_facts(None)
        if held:
            self._run(lambda: self._ruleset.retract_facts(held))
            self._drain()
        self._dirty = False

    def fact_count(self) -> int:
        """Facts currently held by the engine (0 between runs, and before the first one)."""
        try:
            return len(self._ruleset.get_facts(None))
        except durable_rules_engine.error:  # no state yet: the engine has never seen a fact
            return 0


def _check_facts(facts: Sequence[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for fact in facts:
        fid = fact.get("id")
        if not isinstance(fid, str) or not fid:
            raise DurableError(f"every fact needs a text id (trap 3): {fact!r:.120}")
        if fid in seen:
            raise DurableError(f"two facts share the id {fid!r}: the engine would merge them (trap 3)")
        seen.add(fid)
        for key, value in fact.items():
            if not isinstance(value, _JSON_SAFE):
                raise DurableError(f"fact {fid!r} field {key!r} holds a {type(value).__name__}; "
                                   "facts take text, int, float or bool only (trap 6)")


def _raise(error: Any) -> None:
    """An error the engine handed back: Ctrl-C stays Ctrl-C, anything else is the engine failing."""
    if isinstance(error, KeyboardInterrupt):
        raise KeyboardInterrupt
    if isinstance(error, BaseException):
        raise DurableError(f"rules engine error: {error}") from error
    raise DurableError(f"rules engine error: {error}")
