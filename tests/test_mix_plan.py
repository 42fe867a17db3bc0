"""The mix as plain code: the plan's arithmetic, sampling, shuffle keys, FIM and token counting."""
from __future__ import annotations

import statistics

import pytest

from mixing.fim import FIM_BEGIN, FIM_END, FIM_HOLE, split_psm, to_fim
from mixing.plan import Totals, copies, group_of, plan_mix, shuffle_key
from mixing.tokens import DEEPSEEK_END, SpecialTokens, TokenCounter, estimate_tokens
from pipeline.config import Mix

W = {"code": 0.6, "math": 0.1, "text": 0.3}



def plan_with(totals, **values):
    """plan_mix with config `mix`'s defaults for what a test does not set."""
    mix = Mix()
    defaults = {key: getattr(mix, key) for key in (
        "weights", "total_tokens", "short_policy", "max_repeats", "code_web_counts_as", "target_shard_bytes")}
    return plan_mix(totals, **{**defaults, **values})

def totals(**tokens: int) -> dict[str, Totals]:
    return {c: Totals(docs=t // 100 or 1, tokens=t, bytes=4 * t) for c, t in tokens.items()}


def test_budget_within_supply_downsamples_every_group_to_its_weight():
    plan = plan_with(totals(code=1000, math_web=500, text=2000), seed=1, weights=W, total_tokens=1000)
    assert plan.total_tokens == 1000
    assert {g: round(p.target_tokens) for g, p in plan.groups.items()} == {"code": 600, "math": 100, "text": 300}
    assert plan.rate("code") == pytest.approx(0.6) and plan.rate("math_web") == pytest.approx(0.2)
    assert all(p.status == "downsampled" for p in plan.groups.values())


def test_shrink_policy_lowers_the_total_to_the_shortest_group():
    plan = plan_with(totals(code=1000, math_web=50, text=2000), seed=1, weights=W, total_tokens=1000, short_policy="shrink")
    assert plan.total_tokens == pytest.approx(500)  # math: 50 tokens / 10%
    assert plan.groups["math"].rate == pytest.approx(1.0) and plan.groups["math"].status == "complete"
    assert plan.rate("code") == pytest.approx(0.3)


def test_upsample_policy_repeats_up_to_the_cap_then_shrinks():
    plan = plan_with(totals(code=1000, math_web=50, text=2000), seed=1, weights=W, total_tokens=1000,
                    short_policy="upsample", max_repeats=4)
    assert plan.total_tokens == pytest.approx(1000)
    assert plan.rate("math_web") == pytest.approx(2.0) and plan.groups["math"].status == "upsampled"
    capped = plan_with(totals(code=1000, math_web=10, text=2000), seed=1, weights=W, total_tokens=1000,
                      short_policy="upsample", max_repeats=4)
    assert capped.rate("math_web") == pytest.approx(4.0) and capped.total_tokens == pytest.approx(400)


def test_no_budget_means_the_largest_total_the_policy_allows():
    plan = plan_with(totals(code=600, math_web=100, text=600), seed=1, weights=W, short_policy="shrink")
    assert plan.total_tokens == pytest.approx(1000) and plan.rate("text") == pytest.approx(0.5)


def test_a_group_without_data_is_missing_and_the_others_keep_their_shares():
    plan = plan_with(totals(code=600, text=300), seed=1, weights=W, short_policy="shrink")
    assert plan.groups["math"].status == "missing" and plan.rate("code") == pytest.approx(1.0)
    assert plan.total_tokens == pytest.approx(1000)


def test_code_web_joins_code_or_text_and_shares_the_group_rate():
    t = totals(code=800, code_web=200, math_web=100, text=300)
    as_code = plan_with(t, seed=1, weights=W, code_web_counts_as="code", short_policy="shrink")
    assert as_code.groups["code"].available_tokens == 1000 and as_code.rate("code_web") == as_code.rate("code")
    as_text = plan_with(t, seed=1, weights=W, code_web_counts_as="text", short_policy="shrink")
    assert as_text.groups["text"].available_tokens == 500 and as_text.rate("code_web") == as_text.rate("text")
    with pytest.raises(ValueError, match="unknown mix category 'web'"):
        group_of("web", "code")


def test_shard_count_follows_the_target_size():
    plan = plan_with(totals(code=1000, text=500), seed=1, weights={"code": 0.5, "text": 0.5},
                    short_policy="shrink", target_shard_bytes=1000)
    assert plan.num_shards("code") == 2 and plan.num_shards("text") == 2  # 500 tokens * 4 bytes at rate 1
    assert plan.num_shards("math_web") == 0


def test_copies_average_the_rate_and_never_depend_on_anything_but_seed_and_id():
    ids = [f"doc-{i}" for i in range(4000)]
    for rate in (0.25, 1.0, 2.5):
        n = [copies(i, rate, seed=3) for i in ids]
        assert set(n) <= {int(rate), int(rate) + 1}
        assert statistics.mean(n) == pytest.approx(rate, abs=0.05)
    assert [copies(i, 0.5, 3) for i in ids] == [copies(i, 0.5, 3) for i in ids]
    assert [copies(i, 0.5, 3) for i in ids] != [copies(i, 0.5, 4) for i in ids]
    assert shuffle_key("a", 0, 1) != shuffle_key("a", 1, 1) != shuffle_key("a", 0, 2)


def test_fim_is_psm_with_deepseek_sentinels_at_the_rate_and_seeded_by_id():
    assert FIM_BEGIN == "<\uff5cfim\u2581begin\uff5c>" and "\uff5c" in FIM_HOLE and "\u2581" in FIM_END
    text = "def add(a, b):\n    return a + b\n"
    results = [to_fim(text, f"id-{i}", seed=9, rate=0.5, special=SpecialTokens()) for i in range(2000)]
    chosen = [r for r in results if r is not None]
    assert 0.45 < len(chosen) / len(results) < 0.55
    for r, lengths in chosen[:200]:
        assert r.startswith(FIM_BEGIN) and r.endswith(DEEPSEEK_END)
        prefix, rest = r[len(FIM_BEGIN):].split(FIM_HOLE)
        suffix, rest = rest.split(FIM_END)
        middle = rest[: -len(DEEPSEEK_END)]
        assert prefix + middle + suffix == text
        assert split_psm(r, lengths, special=SpecialTokens()) == (prefix, suffix, middle)
    ends_e = SpecialTokens(end="<E>")
    assert to_fim(text, "id-1", seed=9, rate=0.5, special=ends_e) == to_fim(text, "id-1", seed=9, rate=0.5, special=ends_e)
    assert to_fim("", "x", seed=9, rate=1.0, special=SpecialTokens(end="<E>")) is None
    assert to_fim(text, "x", seed=9, rate=1.0, special=SpecialTokens(end="<E>"))[0].endswith("<E>")


def test_fim_writes_the_configured_sentinels():
    # mix.special_tokens.fim_* are the strings whose ids the token output inserts: the text must hold them.
    special = SpecialTokens(end="</s>", fim_begin="<B>", fim_hole="<H>", fim_end="<M>")
    r, lengths = to_fim("0123456789", "x", seed=3, rate=1.0, special=special)
    prefix, suffix, middle = split_psm(r, lengths, special=special)
    assert r == f"<B>{prefix}<H>{suffix}<M>{middle}</s>" and FIM_BEGIN not in r


def test_fim_pieces_are_found_even_when_the_text_contains_sentinels():
    text = f"a{FIM_HOLE}b{FIM_END}c{DEEPSEEK_END}d"
    for i in range(50):
        r, lengths = to_fim(text, f"id-{i}", seed=1, rate=1.0, special=SpecialTokens())
        prefix, suffix, middle = split_psm(r, lengths, special=SpecialTokens())
        assert prefix + middle + suffix == text
    with pytest.raises(ValueError, match="fim_psm"):
        split_psm(r, "1,1,1", special=SpecialTokens())


def test_token_counter_falls_back_to_a_byte_estimate():
    counter = TokenCounter(None)
    assert counter.count("abcd" * 10) == 10 == estimate_tokens("abcd" * 10)
    assert counter.count("é") == 1 and counter.count("") == 0
    assert "estimate" in counter.description
    with pytest.raises(ValueError, match="tokenizer"):
        counter.encode("x")
