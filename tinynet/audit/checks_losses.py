r"""Checks F9-F13: the loss functions and the binary cross-entropy derivative.

The documents' losses are evaluated as printed (plain numpy, ``doc_`` names) and
compared with :mod:`tinynet.nn.functional`. Each tinynet loss is first checked
against a second, independent tinynet computation (e.g. ``cross_entropy_probs`` on
softmax probabilities against the fused ``cross_entropy`` on the logits), so a broken
loss in tinynet makes the check fail rather than blame the document.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tinynet as tn
from tinynet.audit._tools import CheckedAutograd, autograd, doc_sigmoid, host, t64
from tinynet.audit.core import (
    FD_TOL,
    AuditError,
    Evidence,
    Outcome,
    Tally,
    fmt,
    fp_events,
    holds,
    holds_under,
    register,
    wrong,
)
from tinynet.nn import functional as F


def _softmax_draw(rng: np.random.Generator, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits (n, k) and their softmax probabilities."""
    z = rng.normal(scale=1.5, size=(n, k))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return z, e / e.sum(axis=1, keepdims=True)


def _loss_machinery(ev: Evidence, rng: np.random.Generator) -> None:
    """Two independent tinynet computations of each loss must agree before they are used."""
    ce = Tally("tinynet cross_entropy_probs(softmax(z)) vs cross_entropy(z) (fused, from logits)")
    bce = Tally("tinynet binary_cross_entropy(σ(a)) vs binary_cross_entropy_with_logits(a)")
    mse = Tally("tinynet mse_loss vs ((ŷ − y)**2).mean() built from tinynet ops")
    for _ in range(max(10, ev.draws // 4)):
        n, k = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        z, p = _softmax_draw(rng, n, k)
        y = np.eye(k)[rng.integers(0, k, size=n)]
        ce.add(F.cross_entropy_probs(t64(p), t64(y)).item(), F.cross_entropy(t64(z), t64(y)).item())
        a, yb = rng.normal(scale=2.0, size=n), rng.integers(0, 2, size=n).astype(float)
        bce.add(
            F.binary_cross_entropy(tn.sigmoid(t64(a)), t64(yb)).item(),
            F.binary_cross_entropy_with_logits(t64(a), t64(yb)).item(),
        )
        u, v = rng.normal(size=n), rng.normal(size=n)
        d = t64(u) - t64(v)
        mse.add(F.mse_loss(t64(u), t64(v)).item(), (d * d).mean().item())
    for t in (ce, bce, mse):
        ev.require(t, "tinynet's losses disagree with each other")


# --------------------------------------------------------------------------- F9
@register(
    "F9",
    "000 §4.1.3, lines 226-238",
    "MSE = (1/n)Σ_i(ŷ_i − y_i)²; CE = −(1/n)Σ_i y_i log ŷ_i",
    self_check=_loss_machinery,
)
def check_f9(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 000 §4.1.3 (lines 226-238): "ŷ_i is the prediction, y_i the true value".

    The CE is right when y_i, ŷ_i are class vectors (one-hot label, probability
    vector) and y_i log ŷ_i is their dot product; with scalar 0/1 labels it drops
    the negative class and differs from the binary cross-entropy.
    """
    mse = Tally("document MSE (loop over i) vs tinynet F.mse_loss")
    onehot = Tally(
        "document CE, y_i one-hot vectors and y_i·log ŷ_i a dot product, vs tinynet F.cross_entropy_probs"
    )
    scalar = Tally("document CE with scalar 0/1 labels vs tinynet F.binary_cross_entropy")
    for _ in range(ev.draws):
        n = int(rng.integers(1, 9))
        yhat, y = rng.normal(size=n), rng.normal(size=n)
        mse.add(
            sum((yhat[i] - y[i]) ** 2 for i in range(n)) / n, F.mse_loss(t64(yhat), t64(y)).item()
        )
        k = int(rng.integers(2, 6))
        _, P = _softmax_draw(rng, n, k)
        Y = np.eye(k)[rng.integers(0, k, size=n)]
        doc_ce = -sum(Y[i] @ np.log(P[i]) for i in range(n)) / n
        onehot.add(doc_ce, F.cross_entropy_probs(t64(P), t64(Y)).item())
        z = rng.uniform(0.02, 0.98, size=n)
        yb = rng.integers(0, 2, size=n).astype(float)
        doc_scalar = -sum(yb[i] * np.log(z[i]) for i in range(n)) / n
        scalar.add(doc_scalar, F.binary_cross_entropy(t64(z), t64(yb)).item())
    s_mse, s_onehot, s_scalar = ev.tally(mse), ev.tally(onehot), ev.tally(scalar)
    y = np.array([1.0, 0.0, 1.0, 0.0])
    good, lazy = np.array([0.9, 0.1, 0.9, 0.1]), np.full(4, 0.999)
    doc_good, doc_lazy = (float(-np.mean(y * np.log(p))) for p in (good, lazy))
    bce_good, bce_lazy = (F.binary_cross_entropy(t64(p), t64(y)).item() for p in (good, lazy))
    ev.value("scalar_doc_ce_good_lazy", (doc_good, doc_lazy))
    ev.line(
        f"labels [1,0,1,0]: the scalar reading scores 'predict 0.999 always' {fmt(doc_lazy, 3)} < "
        f"{fmt(doc_good, 3)} for good predictions [.9,.1,.9,.1]; binary CE: {fmt(bce_lazy, 3)} vs {fmt(bce_good, 3)}"
    )
    ev.summary(
        f"MSE agrees (max err {mse.worst:.1g}); CE agrees with one-hot labels (max err {onehot.worst:.1g}) but with "
        f"scalar 0/1 labels ≠ binary CE (median err {scalar.median:.2g}): 'always 0.999' scores {fmt(doc_lazy, 2)} < {fmt(doc_good, 2)}"
    )
    ev.step("BCE for scalar labels: −(1/n)Σ_i [y_i log ŷ_i + (1 − y_i) log(1 − ŷ_i)].")
    if s_onehot != "agree":
        raise AuditError("the one-hot reading disagrees with tinynet's cross-entropy")
    if s_mse == "disagree":
        return wrong("MSE = (1/n)Σ_i (ŷ_i − y_i)²")
    if s_scalar == "agree":
        return holds()
    return holds_under(
        "y_i is a one-hot label vector and ŷ_i a probability vector, y_i log ŷ_i meaning Σ_k y_ik log ŷ_ik "
        "(with scalar 0/1 labels the loss must be the binary CE)"
    )


# --------------------------------------------------------------------------- F10
@register(
    "F10",
    "001 §4.1.3, lines 632-646",
    "'MSE' L = ½Σ_j(y_j − ŷ_j)² 'measures the average error'; CE L = −Σ_j y_j log ŷ_j",
    self_check=_loss_machinery,
)
def check_f10(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §4.1.3 (lines 632-646).

    The printed "MSE" is half the *sum* of squared errors: k/2 times the mean the
    text describes. The CE is for one sample with a one-hot label.
    """
    half = Tally("document ½Σ_j(y_j − ŷ_j)² vs tinynet F.mse_loss(reduction='half_sum')")
    mean = Tally("document ½Σ_j(y_j − ŷ_j)² vs the average error, tinynet F.mse_loss (mean)")
    grad = Tally("autograd ∂L/∂ŷ of the half sum vs ŷ − y (why the ½ is there)")
    ce = Tally(
        "document −Σ_j y_j log ŷ_j (one sample, one-hot) vs tinynet F.cross_entropy_probs(reduction='sum')"
    )
    ratios = []
    for _ in range(ev.draws):
        k = int(rng.integers(1, 9))
        y, yhat = rng.normal(size=k), rng.normal(size=k)
        doc_l = 0.5 * sum((y[j] - yhat[j]) ** 2 for j in range(k))
        half.add(doc_l, F.mse_loss(t64(yhat), t64(y), reduction="half_sum").item())
        m = F.mse_loss(t64(yhat), t64(y)).item()
        mean.add(doc_l, m)
        ratios.append((k, doc_l / m))
        _, (g,) = autograd(lambda t, y=y: F.mse_loss(t, t64(y), reduction="half_sum"), yhat)
        grad.add(g, yhat - y)
        kc = int(rng.integers(2, 6))
        _, p = _softmax_draw(rng, 1, kc)
        yc = np.eye(kc)[int(rng.integers(0, kc))]
        ce.add(
            -sum(yc[j] * np.log(p[0, j]) for j in range(kc)),
            F.cross_entropy_probs(t64(p[0]), t64(yc), reduction="sum").item(),
        )
    s_half, s_mean, s_grad, s_ce = (ev.tally(t) for t in (half, mean, grad, ce))
    ratio_ok = all(abs(r - k / 2) <= 1e-9 * k for k, r in ratios)
    ev.line(
        f"ratio document L / mean squared error = k/2 in all {len(ratios)} draws: {ratio_ok} (equal only for k = 2 outputs)"
    )
    ev.summary(
        f"½Σ = tinynet 'half_sum' (max err {half.worst:.1g}) = (k/2)·MSE, ≠ the mean (median err {mean.median:.2g}); "
        f"∂L/∂ŷ = ŷ − y (err {grad.worst:.1g}); CE agrees (err {ce.worst:.1g})"
    )
    if s_half != "agree" or s_grad != "agree" or s_ce != "agree":
        raise AuditError(
            "tinynet's half-sum loss, its gradient or the CE disagree with the formulas"
        )
    if s_mean == "agree":
        return holds()
    return holds_under(
        "L is half the sum of squared errors (= k/2 × the mean squared error), not the 'average error' "
        "the text calls it; same minimiser, gradient ŷ − y"
    )


# --------------------------------------------------------------------------- F11
@register(
    "F11",
    "003 §4.1, lines 552-574",
    "MSE = (1/n)Σ_i(y_i − ŷ_i)²; CE = −Σ_{i=1}^n y_i log ŷ_i, 'n is the number of samples'",
    self_check=_loss_machinery,
)
def check_f11(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 003 §4.1.1-4.1.2 (lines 552-574).

    The CE is right when i runs over the classes of one sample (as in the worked
    example E3); over the n samples named just above it is not the cross-entropy.
    """
    mse = Tally("document MSE vs tinynet F.mse_loss")
    classes = Tally(
        "document CE with i over the classes of one sample vs tinynet F.cross_entropy_probs(reduction='sum')"
    )
    samples = Tally(
        "document CE with i over n samples, scalar 0/1 labels, vs tinynet F.binary_cross_entropy"
    )
    batch = Tally(
        "document CE summed over n samples of one-hot rows vs tinynet batch CE (mean over samples, as F12)"
    )
    for _ in range(ev.draws):
        n = int(rng.integers(1, 9))
        y, yhat = rng.normal(size=n), rng.normal(size=n)
        mse.add(
            sum((y[i] - yhat[i]) ** 2 for i in range(n)) / n, F.mse_loss(t64(yhat), t64(y)).item()
        )
        k = int(rng.integers(2, 6))
        _, P = _softmax_draw(rng, max(n, 2), k)
        Y = np.eye(k)[rng.integers(0, k, size=max(n, 2))]
        classes.add(
            -sum(Y[0, i] * np.log(P[0, i]) for i in range(k)),
            F.cross_entropy_probs(t64(P[0]), t64(Y[0]), reduction="sum").item(),
        )
        z, yb = rng.uniform(0.02, 0.98, size=n), rng.integers(0, 2, size=n).astype(float)
        samples.add(
            -sum(yb[i] * np.log(z[i]) for i in range(n)),
            F.binary_cross_entropy(t64(z), t64(yb)).item(),
        )
        batch.add(-np.sum(Y * np.log(P)), F.cross_entropy_probs(t64(P), t64(Y)).item())
    s_mse, s_cls, s_smp, s_bat = (ev.tally(t) for t in (mse, classes, samples, batch))
    ev.summary(
        f"MSE agrees (err {mse.worst:.1g}); CE agrees with i over classes (err {classes.worst:.1g}); over samples it is "
        f"≠ binary CE (median err {samples.median:.2g}) and n × the batch-mean CE (median err {batch.median:.2g})"
    )
    if s_cls != "agree":
        raise AuditError("the per-class reading disagrees with tinynet's cross-entropy")
    if s_mse == "disagree":
        return wrong("MSE = (1/n)Σ_i (y_i − ŷ_i)²")
    if s_smp == "agree" and s_bat == "agree":
        return holds()
    return holds_under(
        "in the CE, i runs over the classes of one sample (n = number of classes), not over the n samples; "
        "over a batch, average the per-sample CE (F12)"
    )


# --------------------------------------------------------------------------- F12
@register(
    "F12",
    "004 §4.1, lines 181-195",
    "J = −(1/m)Σ_iΣ_k y_k^(i) log z_k^(i); J = (1/2m)Σ_i(y^(i) − h_θ(x^(i)))²",
    self_check=_loss_machinery,
)
def check_f12(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 004 §4.1 (lines 181-195; repeated at line 234)."""
    ce = Tally("document −(1/m)ΣΣ y log z vs tinynet F.cross_entropy_probs (mean)")
    ce_logits = Tally("document CE on softmax(logits) vs tinynet F.cross_entropy(logits)")
    half = Tally("document (1/2m)Σ(y − h)² vs tinynet F.mse_loss(reduction='half_mean')")
    grad = Tally("autograd ∂J/∂h of the ½-MSE vs (h − y)/m", FD_TOL)
    machinery = CheckedAutograd()
    for k_draw in range(ev.draws):
        m, K = int(rng.integers(1, 9)), int(rng.integers(2, 6))
        Z, P = _softmax_draw(rng, m, K)
        Y = (
            np.eye(K)[rng.integers(0, K, size=m)]
            if k_draw % 2 == 0
            else _softmax_draw(rng, m, K)[1]
        )
        doc_j = -sum(Y[i, k] * np.log(P[i, k]) for i in range(m) for k in range(K)) / m
        ce.add(doc_j, F.cross_entropy_probs(t64(P), t64(Y)).item())
        ce_logits.add(doc_j, F.cross_entropy(t64(Z), t64(Y)).item())
        h, y = rng.normal(size=m), rng.normal(size=m)
        half.add(
            sum((y[i] - h[i]) ** 2 for i in range(m)) / (2 * m),
            F.mse_loss(t64(h), t64(y), reduction="half_mean").item(),
        )

        def j_half(ht: Any, y: np.ndarray = y) -> Any:
            return F.mse_loss(ht, t64(y), reduction="half_mean")

        _, (g,) = machinery.grads(j_half, h, fd=k_draw % 4 == 0)
        grad.add(g, (h - y) / m)
    machinery.require(ev)
    states = [ev.tally(t) for t in (ce, ce_logits, half, grad)]
    ev.summary(
        f"CE agrees with tinynet cross_entropy_probs and cross_entropy (max err {max(ce.worst, ce_logits.worst):.1g}); "
        f"½-MSE agrees (err {half.worst:.1g}), gradient (h − y)/m (err {grad.worst:.1g}); {ev.draws} draws"
    )
    if all(s == "agree" for s in states):
        return holds()
    return wrong("J = −(1/m)Σ_iΣ_k y_k^(i) log z_k^(i); J = (1/2m)Σ_i (y^(i) − h_θ(x^(i)))²")


# --------------------------------------------------------------------------- F13
def _doc_bce(z: Any, y: Any) -> Any:
    return -y * np.log(z) - (1 - y) * np.log(1 - z)


def _doc_dbce(z: Any, y: Any) -> Any:
    """The document's derivative, as printed: −y/z + (1 − y)/(1 − z)."""
    return -y * (1 / z) + (1 - y) * (1 / (1 - z))


@register(
    "F13",
    "004 §4.2, lines 239-255",
    "J = −y log z − (1−y) log(1−z), ∂J/∂z = −y/z + (1−y)/(1−z); 'at z = 1 the derivative is 0, at z = 0 infinite'",
    self_check=_loss_machinery,
)
def check_f13(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 004 §4.2 (lines 239-255).

    The loss and its derivative are checked against tinynet (``binary_cross_entropy``
    and autograd); then the claim about the derivative at z = 1 and z = 0 is evaluated
    with the (verified) derivative formula, and the corrected statement -- the
    derivative with respect to the logit a, z = σ(a), is z − y -- is checked with
    tinynet's sigmoid and loss.
    """
    loss = Tally("document J(z, y) vs tinynet F.binary_cross_entropy(reduction='none')")
    deriv = Tally("document ∂J/∂z vs tinynet autograd of binary_cross_entropy")
    logit = Tally(
        "corrected ∂J/∂a = σ(a) − y vs tinynet autograd of binary_cross_entropy(sigmoid(a), y)"
    )
    logit2 = Tally(
        "corrected ∂J/∂a = σ(a) − y vs tinynet autograd of binary_cross_entropy_with_logits"
    )
    machinery = CheckedAutograd()
    for k in range(ev.draws):
        n = int(rng.integers(1, 6))
        z = rng.uniform(0.01, 0.99, size=n)
        y = rng.integers(0, 2, size=n).astype(float) if k % 2 == 0 else rng.uniform(size=n)
        loss.add(_doc_bce(z, y), host(F.binary_cross_entropy(t64(z), t64(y), reduction="none")))
        _, (gz,) = machinery.grads(
            lambda t, y=y: F.binary_cross_entropy(t, t64(y), reduction="sum"), z, fd=k % 4 == 0
        )
        deriv.add(_doc_dbce(z, y), gz)
        a = rng.normal(scale=3.0, size=n)

        def via_sigmoid(at: Any, y: np.ndarray = y) -> Any:
            return F.binary_cross_entropy(tn.sigmoid(at), t64(y), reduction="sum")

        _, (ga,) = machinery.grads(via_sigmoid, a, fd=k % 4 == 0)
        logit.add(ga, doc_sigmoid(a) - y)
        _, (ga2,) = autograd(
            lambda t, y=y: F.binary_cross_entropy_with_logits(t, t64(y), reduction="sum"), a
        )
        logit2.add(ga2, doc_sigmoid(a) - y)
    machinery.require(ev, "tinynet's backward (sigmoid, log, binary_cross_entropy) is wrong")
    s_loss, s_deriv = ev.tally(loss), ev.tally(deriv)
    s_logit, s_logit2 = ev.tally(logit), ev.tally(logit2)

    # The claim, evaluated with the document's own (verified) derivative formula.
    near = {}
    for yv in (1.0, 0.0):
        for zv, label in ((1 - 1e-9, "1"), (1e-9, "0")):
            near[(yv, label)] = float(_doc_dbce(zv, yv))
    with fp_events() as events:
        at_one = float(_doc_dbce(np.float64(1.0), np.float64(1.0)))
    g_tn = autograd(
        lambda t: F.binary_cross_entropy(t, t64([1.0]), reduction="sum"), np.array([1 - 1e-6])
    )[1][0][0]
    zs = np.linspace(1e-6, 1 - 1e-6, 200001)
    min_abs = float(min(np.abs(_doc_dbce(zs, 1.0)).min(), np.abs(_doc_dbce(zs, 0.0)).min()))
    ev.value("dJdz_near", {f"y={int(k[0])},z={k[1]}": v for k, v in near.items()})
    ev.value("min_abs_dJdz", min_abs)
    ev.row("∂J/∂z at z → 1, y = 1", "0", near[(1.0, "1")], matches=abs(near[(1.0, "1")]) < 1e-6)
    ev.row("∂J/∂z at z → 1, y = 0", "0", near[(0.0, "1")], matches=abs(near[(0.0, "1")]) < 1e-6)
    ev.row("∂J/∂z at z → 0, y = 1", "∞", near[(1.0, "0")], matches=abs(near[(1.0, "0")]) > 1e6)
    ev.row("∂J/∂z at z → 0, y = 0", "∞", near[(0.0, "0")], matches=abs(near[(0.0, "0")]) > 1e6)
    ev.step(
        "z → 1 and z → 0 are evaluated at 1 − 1e-9 and 1e-9 with the printed derivative, which the autograd comparison verified."
    )
    ev.step(
        f"Literally at z = 1, y = 1 the printed formula is −1 + 0·(1/0) = {fmt(at_one)} (numpy: {', '.join(events) or 'no events'})."
    )
    ev.step(f"tinynet autograd of binary_cross_entropy at z = 1 − 1e-6, y = 1: {fmt(g_tn, 8)}.")
    ev.step(
        f"min |∂J/∂z| over z ∈ [1e-6, 1 − 1e-6], y ∈ {{0, 1}}: {fmt(min_abs, 8)} -- the derivative w.r.t. the probability never vanishes."
    )
    big = np.array([20.0, -20.0])
    g_big = autograd(
        lambda t: F.binary_cross_entropy_with_logits(t, t64([1.0, 0.0]), reduction="sum"), big
    )[1][0]
    ev.step(
        f"∂J/∂a at a = +20 (y = 1) and a = −20 (y = 0), tinynet autograd: {fmt(g_big, 3)} -- this is what vanishes."
    )
    ev.line(
        f"∂J/∂z → {fmt(near[(1.0, '1')], 10)} as z → 1 (y = 1), → {fmt(near[(0.0, '1')], 3)} (y = 0); "
        f"→ {fmt(near[(0.0, '0')], 10)} as z → 0 (y = 0); min |∂J/∂z| = {fmt(min_abs, 6)}"
    )
    ev.summary(
        f"J and ∂J/∂z agree with tinynet (max err {max(loss.worst, deriv.worst):.1g}); but ∂J/∂z → "
        f"{fmt(near[(1.0, '1')], 4)} (not 0) at z → 1, y = 1; → {fmt(near[(0.0, '0')], 4)} (finite) at z → 0, y = 0; "
        f"min |∂J/∂z| = {fmt(min_abs, 4)}. ∂J/∂a = z − y agrees (err {logit.worst:.1g})"
    )
    if s_logit != "agree" or s_logit2 != "agree":
        raise AuditError("the corrected logit gradient z − y disagrees with tinynet autograd")
    if s_loss != "agree" or s_deriv != "agree":
        return wrong("J = −y log z − (1 − y) log(1 − z), ∂J/∂z = (z − y)/(z(1 − z))")
    # The text's reading: z = 1 "matches the label" and z = 0 is "completely opposite", i.e. y = 1.
    ev.step(
        "The text reads z = 1 as 'prediction matches the label' and z = 0 as 'completely opposite': label y = 1."
    )
    claim_holds = abs(near[(1.0, "1")]) < 1e-6 and abs(near[(1.0, "0")]) > 1e6
    if claim_holds:
        return holds()
    return wrong(
        "∂J/∂z = (z − y)/(z(1 − z)): at z = 1 it is −1 for y = 1 (not 0) and +∞ for y = 0; at z = 0 it is "
        "−∞ for y = 1 and +1 for y = 0; |∂J/∂z| ≥ 1 everywhere. What vanishes as z → y is the "
        "derivative w.r.t. the logit a (z = σ(a)): ∂J/∂a = z − y"
    )
