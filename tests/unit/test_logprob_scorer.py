"""``Scorer`` against a plain reference computation: the fast paths (the allowed tokens' own indices
inside JSON's structure; the model's own sum corrected where tokens changed inside a string) give the
same log probabilities, top choices, removed mass and forbidden choices as softmax over everything."""

from __future__ import annotations

import math

import numpy as np
import pytest

from local_engine.logprobs import SMALL_ALLOWED, LogprobRequest, Scorer

V = 50_000


def describe(t: int) -> tuple[str, bytes | None]:
    return f"t{t}", f"t{t}".encode()


def logits(rng: np.random.Generator) -> np.ndarray:
    """Peaked like a model's: most tokens far below a few likely ones."""
    x = rng.normal(-4.0, 2.0, V).astype(np.float32)
    spikes = rng.choice(V, 12, replace=False)
    x[spikes] = rng.uniform(4.0, 14.0, 12).astype(np.float32)
    return x


def reference(final: np.ndarray, raw: np.ndarray, allowed: np.ndarray, token: int, top: int) -> dict:
    f = final.astype(np.float64)
    r = raw.astype(np.float64)
    lse_f = np.logaddexp.reduce(f[np.isfinite(f)])
    lse_r = np.logaddexp.reduce(r)
    order_f = [int(i) for i in np.argsort(-f, kind="stable")[:top] if np.isfinite(f[i])]
    own = [int(i) for i in np.argsort(-r, kind="stable")[:max(5, top)]]
    return {"logprob": f[token] - lse_f, "top": order_f,
            "removed": float(np.exp(r[~allowed] - lse_r).sum()), "model_logprob": r[token] - lse_r,
            "forbidden": [i for i in own if not allowed[i]], "overrode": not allowed[own[0]]}


@pytest.mark.parametrize("n_allowed", [1, 3, 200, SMALL_ALLOWED + 1, V - 300])
def test_fast_paths_match_the_reference(n_allowed: int) -> None:
    rng = np.random.default_rng(n_allowed)
    raw = logits(rng)
    allowed = np.zeros(V, bool)
    likely = np.argsort(-raw)[:8]
    allowed[rng.choice(V, n_allowed, replace=False)] = True
    allowed[likely[0]] = False  # the model's favourite is forbidden
    allowed[likely[1]] = n_allowed > 1 or not allowed.any()
    final = raw.copy()
    final[~allowed] = -np.inf
    ok = np.flatnonzero(allowed)
    final[ok[:3]] += 9.0  # nudges, as the guards and the repeat penalty make
    final[ok[3:5]] -= 2.0
    token = int(np.argmax(final))
    got = Scorer(LogprobRequest(5), describe).sampled(token, final, raw, allowed)
    want = reference(final, raw, allowed, token, 5)
    assert got.mask is not None
    assert math.isclose(got.logprob, want["logprob"], abs_tol=1e-4)
    assert [int(c.token[1:]) for c in got.top] == want["top"]
    assert math.isclose(got.mask.removed, want["removed"], abs_tol=1e-4)
    assert math.isclose(got.mask.model_logprob, want["model_logprob"], abs_tol=1e-4)
    assert [int(c.token[1:]) for c in got.mask.forbidden] == want["forbidden"]
    assert got.mask.overrode is want["overrode"] is True
    assert got.mask.allowed == int(allowed.sum()) and got.mask.forced == (allowed.sum() == 1)


def test_plain_and_forced() -> None:
    rng = np.random.default_rng(7)
    raw = logits(rng)
    s = Scorer(LogprobRequest(3), describe)
    plain = s.sampled(int(np.argmax(raw)), raw)
    lse = float(np.logaddexp.reduce(raw.astype(np.float64)))
    assert plain.mask is None and math.isclose(plain.logprob, float(raw.max()) - lse, abs_tol=1e-4)
    assert [c.token for c in plain.top] == [f"t{i}" for i in np.argsort(-raw)[:3]]
    second = int(np.argsort(-raw)[1])
    forced = s.forced(second, raw)
    assert forced.logprob == 0.0 and forced.mask is not None and forced.mask.forced and forced.mask.overrode
    assert math.isclose(forced.mask.removed, 1 - math.exp(float(raw[second]) - lse), abs_tol=1e-4)
    assert f"t{second}" not in [c.token for c in forced.mask.forbidden]
    blind = s.forced(second, None)
    assert blind.mask is not None and blind.mask.removed is None and blind.mask.model_logprob is None
