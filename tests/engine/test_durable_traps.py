"""The durable-rules traps of DESIGN.md ("durable_rules: use it, but fence it"), one test per guard.

Each test names the lines of ctg_funding/engine/durable.py it protects, and was checked to fail with them commented
out (where two guards back each other up, the comment says so, and the test fails once both are gone). Every
distinct rule list registers one durable ruleset per process (`DurableEvaluator.for_rules` caches by content), so
the tests share a few small rule lists.
"""

import dataclasses
import datetime as dt
import threading
from decimal import Decimal

import numpy as np
import pytest

from ctg_funding.engine import durable as durable_module
from ctg_funding.engine import evaluate
from ctg_funding.engine.compile import CompiledRule
from ctg_funding.engine.durable import DurableError, DurableEvaluator
from ctg_funding.inputs.model import PostStatus, Structure, Territory
from ctg_funding.rulebook import load_rulebook
from ctg_funding.rulebook.conditions import TRUE, Cmp, Operand, parse
from ctg_funding.scenario.structure_years import StructureYear

# A fact of 2024 with fewer than 10 units matches both rules; a fact of 2023 with 10 units or more matches none.
RULES = [
    CompiledRule("small", parse({"units": {"lt": 10}}, {})),
    CompiledRule("in_2024", Cmp("year", "eq", Operand("const", 2024))),
]
# Each of these gets its own evaluator, built directly (not through for_rules), so that nothing else shares it.
THREAD_RULES = [CompiledRule("thread_probe", parse({"year": {"gte": 2000}}, {}))]
EMPTY_RULES = [CompiledRule("empty_probe", parse({"year": {"gte": 2000}}, {}))]
FAILING_RULES = [CompiledRule("failing_rule", parse({"units": {"gte": 0}}, {}))]
RECORDER_RULES = [CompiledRule("recorder_rule", parse({"units": {"gte": 0}}, {}))]


def fact(i: int, units: int = 1, year: int = 2024) -> dict:
    return {"id": f"f{i}", "units": units, "year": year, "type": "EAJE"}


def expected(facts: list[dict]) -> dict[str, set[str]]:
    """What RULES fire on each fact, computed in plain Python."""
    out: dict[str, set[str]] = {}
    for f in facts:
        fired = {rid for rid, ok in (("small", f["units"] < 10), ("in_2024", f["year"] == 2024)) if ok}
        if fired:
            out[f["id"]] = fired
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


# -- trap 1: actions dispatched later on background threads


def test_results_are_complete_when_evaluate_returns():
    # Protects durable.py line 141 (`_run`: do_actions on the assert's handle) together with line 113
    # (`self._drain()`): removing both makes the run return before any action ran (the missing-facts check of
    # line 115 then refuses it); either one alone is enough to run every action of this batch.
    facts = [fact(i) for i in range(500)]
    result = DurableEvaluator.for_rules(RULES).evaluate(facts)  # read at once: no sleep, no retry
    assert len(result) == 500
    assert {k: set(v) for k, v in result.items()} == expected(facts)
    assert all(sorted(v) == ["in_2024", "small"] for v in result.values())


# Facts spread over several durable-rules states (the engine's `sid` field): the call that asserts them runs the
# actions of one state only, and every other state's actions are really left pending. Several rules match each
# fact. Each test builds its own evaluator (its own ruleset), so that nothing pending can leak into another test.
PENDING_RULES = [CompiledRule("pending_small", parse({"units": {"lt": 10}}, {})),
                 CompiledRule("pending_2024", Cmp("year", "eq", Operand("const", 2024))),
                 CompiledRule("pending_any", parse({"units": {"gte": 0}}, {}))]
UNSEEN_RULES = [CompiledRule("unseen_any", parse({"units": {"gte": 0}}, {}))]


def in_states(n: int, states: int) -> list[dict]:
    """n facts, fact i in durable state i % states."""
    return [{**fact(i, units=i % 20, year=2023 + i % 2), "sid": str(i % states)} for i in range(n)]


def test_actions_left_pending_in_other_states_are_run_before_the_result_is_read():
    # Protects durable.py `self._drain()` right after the facts are asserted: 700 facts in 7 states, every fact
    # matched by one to three rules. Without the drain only one state's 100 facts are acted upon (and the check that
    # every fact was seen refuses the run).
    facts = in_states(700, 7)
    want = {f["id"]: {"pending_any"} | ({"pending_small"} if f["units"] < 10 else set())
            | ({"pending_2024"} if f["year"] == 2024 else set()) for f in facts}
    result = DurableEvaluator(PENDING_RULES).evaluate(facts)
    assert {k: set(v) for k, v in result.items()} == want
    assert sum(len(v) for v in result.values()) == 700 + 350 + 350  # any + 10 of every 20 units + every other year


def test_a_fact_the_engine_did_not_act_upon_is_refused_never_left_out(monkeypatch):
    # Protects durable.py's check that every fact reached the catch-all rule: with the drain switched off, the
    # facts of 6 of the 7 states are really never seen (60 of 70). The run must fail saying so, never return a
    # result that silently lacks them.
    evaluator = DurableEvaluator(UNSEEN_RULES)
    monkeypatch.setattr(evaluator, "_drain", lambda: None)
    with pytest.raises(DurableError, match=r"^rules engine returned before evaluating 60 facts, e\.g\. 'f0'$"):
        evaluator.evaluate(in_states(70, 7))


def test_sync_host_starts_no_timer_thread():
    # Protects durable.py lines 46-48 (`_SyncHost._run` overridden to start nothing): the stock Host._run starts
    # two threading.Timer threads (dispatch_ruleset, dispatch_timers) that fire actions up to 0.2 s later.
    before = threading.active_count()
    evaluator = DurableEvaluator(THREAD_RULES)
    assert threading.active_count() == before
    assert evaluator.evaluate([{"id": "t1", "year": 2024}]) == {"t1": ["thread_probe"]}
    assert threading.active_count() == before


def test_no_facts_on_a_fresh_evaluator_gives_nothing():
    # Protects durable.py line 118 (`get_state` only once a fact was asserted): before the first fact the engine
    # has no state, and reading it raised durable_rules_engine.error (code 309) instead of returning {}.
    evaluator = DurableEvaluator(EMPTY_RULES)
    assert evaluator.fact_count() == 0  # no state yet: the engine has never seen a fact
    assert evaluator.evaluate([]) == {}
    assert evaluator.evaluate([{"id": "e1", "year": 2024}]) == {"e1": ["empty_probe"]}
    assert evaluator.evaluate([]) == {}


# -- trap 2: a batch that no rule matches


def test_a_fact_that_no_rule_matches_neither_raises_nor_fires():
    # Protects durable.py line 70 (the catch-all rule on the fact mark): without it a batch of one unmatched fact
    # raises MessageNotHandledException, and no fact is marked as seen (line 115 then refuses every run). Line 139
    # (MessageNotHandledException caught) is a further fence, reached only once the catch-all is gone.
    evaluator = DurableEvaluator.for_rules(RULES)
    assert evaluator.evaluate([fact(1, units=50, year=2023)]) == {}
    mixed = [fact(1, units=50, year=2023), fact(2), fact(3, units=50)]
    result = evaluator.evaluate(mixed)
    assert "f1" not in result
    assert {k: set(v) for k, v in result.items()} == {"f2": {"small", "in_2024"}, "f3": {"in_2024"}}
    assert evaluator.fact_count() == 0


# -- trap 3: fact identity is the id field


def test_two_facts_with_the_same_id_are_refused():
    # Protects durable.py line 183 (`if fid in seen`): the engine would take the second fact for the first.
    with pytest.raises(DurableError, match="f1"):
        DurableEvaluator.for_rules(RULES).evaluate([fact(1, units=1), fact(1, units=50)])


@pytest.mark.parametrize("bad", [{}, {"id": ""}, {"id": 7}], ids=["no_id", "empty_id", "int_id"])
def test_a_fact_without_a_text_id_is_refused(bad):
    # Protects durable.py line 181 (`if not isinstance(fid, str) or not fid`): without an id the engine
    # identifies a fact by a content hash, which collides at scale.
    with pytest.raises(DurableError, match="text id"):
        DurableEvaluator.for_rules(RULES).evaluate([fact(0), {"units": 1, "year": 2024, **bad}])


# -- trap 4: errors inside actions are swallowed into the state


def test_an_error_raised_in_an_action_is_raised_by_evaluate_and_the_next_run_starts_clean(monkeypatch):
    # Protects durable.py lines 124-125 (the state's `exception` raised), and lines 119-121 (it is cleared once
    # raised: the engine keeps it in the state, and the process-wide evaluator refused every later run with the
    # stale error, although that run's actions all succeeded).
    failing = {"on": True}
    real_recorder = DurableEvaluator._recorder

    def flaky_recorder(self, rule_id):
        record = real_recorder(self, rule_id)

        def action(c):
            if failing["on"]:
                raise ValueError("boom inside the action")
            record(c)
        return action

    monkeypatch.setattr(DurableEvaluator, "_recorder", flaky_recorder)
    evaluator = DurableEvaluator(FAILING_RULES)
    facts = [fact(i) for i in range(3)]
    with pytest.raises(DurableError, match="boom inside the action"):
        evaluator.evaluate(facts)
    assert evaluator.fact_count() == 0
    failing["on"] = False
    assert evaluator.evaluate(facts) == {f["id"]: ["failing_rule"] for f in facts}


class _Exploding(dict):
    def setdefault(self, key, default=None):
        raise ValueError("recorder broke")


class _BrokenRecorder(DurableEvaluator):
    """Every recorded firing fails inside the real `_recorder` action (its `_fired` cannot be written)."""

    _fired = property(lambda self: _Exploding(), lambda self, value: None)


def test_an_error_in_the_recorder_is_raised_naming_the_rule():
    # Protects durable.py line 122 (`if self._errors`): the recorder's own error, with the id of its rule, is
    # raised (the state's exception alone says neither which rule nor which recorder failed).
    one = r"recorder_rule: ValueError\('recorder broke'\)"
    with pytest.raises(DurableError, match=rf"^error inside a rule action: {one}; {one}$"):
        _BrokenRecorder(RECORDER_RULES).evaluate([fact(1), fact(2)])


ALWAYS_RULES = [CompiledRule("always_probe", TRUE), CompiledRule("never_probe", parse({"year": 1900}, {}))]


def test_a_condition_that_always_holds_fires_on_every_fact():
    # An empty condition compiles to the mark every fact carries: it fires on each fact, whatever its fields, with
    # either evaluator.
    from ctg_funding.engine.vector import mask

    facts = [fact(1), {"id": "bare"}]
    assert DurableEvaluator(ALWAYS_RULES).evaluate(facts) == {"f1": ["always_probe"], "bare": ["always_probe"]}
    assert mask(TRUE, {}, 3).tolist() == [True, True, True]


PLUMBING_RULES = [CompiledRule("plumbing_probe", parse({"units": {"gte": 0}}, {}))]


@pytest.mark.parametrize("error, expected", [
    ("state store unavailable", DurableError), (OSError("disk full"), DurableError), (KeyboardInterrupt(), None),
], ids=["text", "exception", "ctrl_c"])
def test_an_error_the_engine_hands_back_is_raised(monkeypatch, error, expected):
    # durable-rules reports its own failures (not an action's) to the completion callback, as a text or an
    # exception: the run fails saying so (the exception as the cause), and Ctrl-C stays Ctrl-C.
    evaluator = DurableEvaluator([CompiledRule(f"plumbing_{type(error).__name__}", PLUMBING_RULES[0].condition)])
    monkeypatch.setattr(evaluator._ruleset, "do_actions", lambda _handle, complete: complete(error, None))
    if expected is None:
        with pytest.raises(KeyboardInterrupt):
            evaluator.evaluate([fact(1)])
        return
    with pytest.raises(DurableError, match=f"^rules engine error: {error}$") as info:
        evaluator.evaluate([fact(1)])
    if isinstance(error, BaseException):
        assert info.value.__cause__ is error


def test_an_error_while_draining_pending_actions_is_raised(monkeypatch):
    evaluator = DurableEvaluator([CompiledRule("drain_probe", PLUMBING_RULES[0].condition)])
    pending = [("{}", "{}", 0)]
    monkeypatch.setattr(durable_module.durable_rules_engine, "start_action",
                        lambda _handle: pending.pop() if pending else None)
    monkeypatch.setattr(evaluator._ruleset, "_flush_actions",
                        lambda _state, _message, _offset, complete: complete("lease expired", None))
    with pytest.raises(DurableError, match="^rules engine error: lease expired$"):
        evaluator.evaluate([fact(1)])


# -- trap 5: one ruleset per process, facts retracted after each run


def test_one_evaluator_per_rule_list_reused_and_emptied_after_each_run():
    # Protects durable.py line 86 (the for_rules cache) and line 128 (`self._retract(facts)` in `finally`):
    # without the retraction the second run's facts are already known to the engine and it refuses them.
    evaluator = DurableEvaluator.for_rules(RULES)
    assert DurableEvaluator.for_rules(list(RULES)) is evaluator
    facts = [fact(i, units=i % 20, year=2023 + i % 2) for i in range(40)]
    first = evaluator.evaluate(facts)
    assert evaluator.fact_count() == 0
    second = evaluator.evaluate(facts)
    assert evaluator.fact_count() == 0
    assert {k: set(v) for k, v in first.items()} == {k: set(v) for k, v in second.items()} == expected(facts)


def test_repeated_runs_do_not_leak_memory():
    # Protects durable.py line 86 (the for_rules cache: a new ruleset per run grows RSS by about 120 MB over these
    # runs) and line 128 (retraction: facts left in the engine pile up and the next run refuses them).
    facts = [{**fact(i, units=i % 20), "name": f"structure number {i}"} for i in range(2000)]
    want = expected(facts)
    for run in range(1, 11):
        result = DurableEvaluator.for_rules(RULES).evaluate(facts)
        assert len(result) == len(want)
        assert DurableEvaluator.for_rules(RULES).fact_count() == 0
        if run == 2:
            baseline = rss_mb()
    assert rss_mb() - baseline < 50


# -- trap 6: values pass through json.dumps


@pytest.mark.parametrize("value", [Decimal("1.5"), dt.date(2024, 1, 1), np.int64(3), np.float32(1.5), None],
                         ids=["Decimal", "date", "numpy_int64", "numpy_float32", "None"])
def test_a_value_json_cannot_carry_is_refused_naming_the_field(value):
    # Protects durable.py line 187 (the type check of every value): json.dumps raises a bare TypeError on
    # Decimal, date and numpy int scalars, deep in the engine, naming no field.
    evaluator = DurableEvaluator.for_rules(RULES)
    kind = type(value).__name__
    with pytest.raises(DurableError, match=rf"^fact 'f2' field 'occupancy' holds a {kind}; facts take text, int, "
                                           r"float or bool only \(trap 6\)$"):
        evaluator.evaluate([fact(1), {**fact(2), "occupancy": value}])
    assert evaluator.evaluate([fact(1)]) == {"f1": ["small", "in_2024"]}  # nothing of the refused run is left
    assert evaluator.fact_count() == 0


# -- the real rulebook through the wrapper

TERRITORY = Territory(id="T", name="Test territory", caf="Caf", start=dt.date(2021, 1, 1),
                      end=dt.date(2030, 12, 31), pilotage_deadline_year=2025, communes=("C1",))


def structure_year(sid: str, type_: str, year: int, *, units: str = "10", ps_funded: bool = True,
                   in_territory: bool = True, post_status: PostStatus | None = None,
                   converted_on: dt.date | None = None) -> StructureYear:
    structure = Structure(id=sid, name=sid, type=type_, commune_id="C1", manager_id="C1", supported_by=("C1",),
                          ps_funded=ps_funded, opened=dt.date(2010, 1, 1), units=Decimal(units),
                          post_status=post_status, converted_on=converted_on)
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return StructureYear(structure=structure, year=year, open_days=days, unit_days=Decimal(units) * days,
                         units=Decimal(units), in_territory=in_territory, signatory_support=True,
                         ps_funded=ps_funded, has_cej=True, territory_id=TERRITORY.id,
                         ctg_start=TERRITORY.start, ctg_end=TERRITORY.end)


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook()


def test_the_rulebook_gives_family_and_reason(rulebook):
    assert rulebook.value("pilotage.deadline_year", 2026) == 2025
    cej = PostStatus.COORDINATEUR_CEJ
    coop = PostStatus.CHARGE_COOPERATION
    sys_ = [
        structure_year("MAM1", "MAM", 2024, ps_funded=False),
        # R2.not_psu_type (priority 5) wins over the dataset's PSU flag and over OUTSIDE_TERRITORY (10)
        structure_year("MAM2", "MAM", 2024, ps_funded=True, in_territory=False),
        structure_year("CRECHE", "EAJE", 2024),
        structure_year("COORD", "COORDINATION", 2026, units="1", post_status=cej),
        structure_year("COORD", "COORDINATION", 2025, units="1", post_status=cej),
        structure_year("COOP", "COORDINATION", 2026, units="0.8", post_status=coop, converted_on=dt.date(2025, 6, 1)),
        structure_year("SMALL", "COORDINATION", 2026, units="0.3", post_status=coop, converted_on=dt.date(2025, 6, 1)),
        structure_year("LATE", "COORDINATION", 2026, units="1", post_status=coop, converted_on=dt.date(2026, 3, 1)),
    ]
    got = {k: (e.family, e.eligible, e.reason) for k, e in evaluate(sys_, rulebook).items()}
    assert got == {
        "MAM1|2024": ("EAJE", False, "NOT_PS_FUNDED"),
        "MAM2|2024": ("EAJE", False, "NOT_PS_FUNDED"),
        "CRECHE|2024": ("EAJE", True, None),
        "COORD|2026": ("PILOTAGE", False, "POST_NOT_CONVERTED"),
        "COORD|2025": ("PILOTAGE", True, None),
        "COOP|2026": ("PILOTAGE", True, None),
        "SMALL|2026": ("PILOTAGE", False, "POST_BELOW_MIN_ETP"),
        "LATE|2026": ("PILOTAGE", False, "POST_NOT_CONVERTED"),
    }
    results = evaluate(sys_, rulebook)
    assert results["COOP|2026"].cap_param == "pilotage.cap_per_etp"
    assert not any(r.startswith("R4.") for r in results["COORD|2025"].fired)
    assert {"R2.pilotage", "R4.post_not_converted", "R4.post_capped"} <= set(results["COORD|2026"].fired)


def test_the_pilotage_deadline_comes_from_the_rulebook(rulebook):
    post = [structure_year("COORD", "COORDINATION", 2026, units="1", post_status=PostStatus.COORDINATEUR_CEJ)]
    deadline = rulebook.param("pilotage.deadline_year")
    later = dataclasses.replace(deadline, values=((dt.date(2021, 1, 1), 2027),))
    moved = rulebook.with_overrides({"pilotage.deadline_year": later})
    assert evaluate(post, rulebook)["COORD|2026"].reason == "POST_NOT_CONVERTED"
    assert evaluate(post, moved)["COORD|2026"].eligible


# -- Ctrl-C: an interrupted run is abandoned, never half-read, and the evaluator stays usable

INTERRUPT_RULES = [CompiledRule("interrupt_probe", parse({"units": {"gte": 0}}, {}))]


class _InterruptedOnce(dict):
    """The recorder's dict: the third firing it records is interrupted, as Ctrl-C would be."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def setdefault(self, key, default=None):
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return super().setdefault(key, default)


def test_ctrl_c_inside_an_action_interrupts_the_run_and_the_next_run_is_whole():
    # durable-rules catches what an action raises (Ctrl-C included) and carries on: without the recorder's own
    # catch, the run returned with a firing missing and no error at all.
    evaluator = DurableEvaluator(INTERRUPT_RULES)
    facts = [fact(i) for i in range(10)]
    with pytest.raises(KeyboardInterrupt):
        _run_with_fired(evaluator, facts, _InterruptedOnce())
    assert evaluator.fact_count() == 0
    assert evaluator.evaluate(facts) == {f["id"]: ["interrupt_probe"] for f in facts}


def _run_with_fired(evaluator: DurableEvaluator, facts: list[dict], fired: dict) -> dict:
    """evaluate, with the run's `_fired` dict replaced by `fired` once the run has reset it."""
    cls = type(evaluator)

    class Probe(cls):
        @property
        def _fired(self):
            return self.__dict__["_probe"]

        @_fired.setter
        def _fired(self, value):
            self.__dict__["_probe"] = fired

    evaluator.__class__ = Probe
    try:
        return evaluator.evaluate(facts)
    finally:
        evaluator.__class__ = cls
        evaluator.__dict__.pop("_probe", None)


def test_facts_left_by_a_run_interrupted_during_its_retraction_are_cleared_by_the_next(monkeypatch):
    evaluator = DurableEvaluator(INTERRUPT_RULES)
    facts = [fact(i) for i in range(5)]
    real_retract = DurableEvaluator._retract

    def interrupted_retract(self, facts):
        raise KeyboardInterrupt

    monkeypatch.setattr(DurableEvaluator, "_retract", interrupted_retract)
    with pytest.raises(KeyboardInterrupt):
        evaluator.evaluate(facts)
    assert evaluator.fact_count() == 5  # left behind by the interrupted run
    monkeypatch.setattr(DurableEvaluator, "_retract", real_retract)
    assert evaluator.evaluate(facts) == {f["id"]: ["interrupt_probe"] for f in facts}
    assert evaluator.fact_count() == 0


def test_a_structure_must_match_exactly_one_classify_rule(rulebook):
    # resolve: the classify rule gives family, unit and line; none or two is a mistake in rules/, named for people.
    from ctg_funding.engine.resolve import resolve
    from ctg_funding.errors import InputError

    sy = structure_year("CRECHE", "EAJE", 2024)
    for fired, matched in (([], "none"), (["R2.eaje", "R2.rpe"], "R2.eaje, R2.rpe")):
        with pytest.raises(InputError) as info:
            resolve(rulebook, sy, fired)
        [problem] = info.value.problems
        assert (problem.file, problem.row, problem.column) == ("rules", None, None)
        assert problem.message == ("structure CRECHE of type 'EAJE' must match exactly one classify rule in 2024, "
                                   f"matched: {matched}")
    post = resolve(rulebook, structure_year("COORD", "COORDINATION", 2024, units="1"), ["R2.pilotage"])
    assert (post.family, post.unit, post.line, post.eligible) == ("PILOTAGE", "ETP", "pilotage", True)


def test_an_unknown_engine_is_refused(rulebook):
    with pytest.raises(ValueError, match="^unknown engine 'quantum'$"):
        evaluate([structure_year("CRECHE", "EAJE", 2024)], rulebook, "quantum")
