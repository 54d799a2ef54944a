r"""Checks F1-F8: neurons, forward passes, backpropagation and activations.

Every gradient formula is evaluated as the document prints it (plain numpy, names
starting with ``doc_``) on random networks and compared with tinynet's reverse-mode
autograd; autograd itself is checked against central finite differences
(:func:`tinynet.numerical_grad`) on the same draws, so a broken backward in tinynet
makes the check fail instead of silently changing the verdict.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import tinynet as tn
from tinynet.audit._tools import (
    CheckedAutograd,
    autograd,
    doc_dsigmoid,
    doc_sigmoid,
    finite_diff,
    flat,
    host,
    param64,
    t64,
)
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
from tinynet.optim import SGD, Adam


# --------------------------------------------------------------------------- F1
@register(
    "F1",
    "000 §4.1.1-4.1.2, lines 204-224",
    "neuron Z = Σ_i w_i x_i + b, a = σ(Z); layer Z^l = Σ_i w_li a^{l-1}_i + b_l",
)
def check_f1(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 000 §4.1.1 (lines 204-211) and §4.1.2 (lines 217-224).

    The single neuron is compared with ``tinynet.sigmoid(x @ w + b)``. The layer form
    prints ``w_{li}`` with a layer index and an input index only, so it defines one
    neuron per layer; it matches a tinynet layer of width m >= 2 only once an
    output index j is supplied (the convention), and differs without it.
    """
    neuron = Tally(
        "single neuron, document's loop Σ_i w_i x_i + b then 1/(1+e^-Z), vs tinynet sigmoid(x @ w + b)"
    )
    conv = Tally(
        "layer read with an output index j, Z_j = Σ_i W_ji a_i + b_j, vs tinynet sigmoid(W @ a + b)"
    )
    literal = Tally(
        "layer as printed (one weight per input: Z^l is one number) vs tinynet layer of width m >= 2"
    )
    for _ in range(ev.draws):
        n, m = int(rng.integers(1, 8)), int(rng.integers(2, 6))
        x, w, b = rng.normal(size=n), rng.normal(size=n), float(rng.normal())
        doc_z = sum(w[i] * x[i] for i in range(n)) + b
        neuron.add(doc_sigmoid(doc_z), host(tn.sigmoid(t64(x) @ t64(w) + b)))
        W, bl, a_prev = rng.normal(size=(m, n)), rng.normal(size=m), rng.uniform(size=n)
        layer = host(tn.sigmoid(t64(W) @ t64(a_prev) + t64(bl)))
        doc_zj = np.array([sum(W[j, i] * a_prev[i] for i in range(n)) + bl[j] for j in range(m)])
        conv.add(doc_sigmoid(doc_zj), layer)
        # As printed: w_{l i} and b_l carry no neuron index, so the "layer" computes the
        # same single value for every one of its m neurons (here: neuron 0's weights).
        doc_literal = doc_sigmoid(sum(W[0, i] * a_prev[i] for i in range(n)) + bl[0])
        literal.add(np.full(m, doc_literal), layer)
    s_neuron, s_conv, s_lit = ev.tally(neuron), ev.tally(conv), ev.tally(literal)
    ev.summary(
        f"neuron = tinynet sigmoid(x@w + b) (max err {neuron.worst:.1g}); layer with an output index j = tinynet "
        f"sigmoid(W@a + b) (err {conv.worst:.1g}); as printed (no j: one neuron per layer) it differs from a width-m "
        f"layer in {literal.count_over()}/{literal.n} draws"
    )
    ev.step(
        "Z^l as printed has indices l (layer) and i (input) only: nothing says which of the m neurons of layer l it is."
    )
    ev.step("The upper limit n of the sum must be the width of layer l-1.")
    if s_conv != "agree":
        raise AuditError("the conventional layer form disagrees with tinynet's sigmoid(W @ a + b)")
    if s_neuron == "disagree":
        return wrong("Z = Σ_i w_i x_i + b, a = σ(Z)")
    if s_lit == "agree":
        return holds()
    return holds_under(
        "the layer form needs an output-neuron index j: Z^l_j = Σ_i w^l_ji a^{l-1}_i + b^l_j, "
        "i.e. Z^l = W^l a^{l-1} + b^l (as printed, every layer has a single neuron)"
    )


# --------------------------------------------------------------------------- F2
def _mlp_draw(
    rng: np.random.Generator,
) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, np.ndarray]:
    sizes = [int(s) for s in rng.integers(1, 6, size=4)]
    Ws = [rng.normal(size=(sizes[i + 1], sizes[i])) for i in range(3)]
    bs = [rng.normal(size=sizes[i + 1]) for i in range(3)]
    return Ws, bs, rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])


def _mlp_autograd(
    Ws: list[np.ndarray], bs: list[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """tinynet forward of the sigmoid MLP with C = ½‖a^L - y‖²; returns (Z^l, δ^l = ∂C/∂Z^l, ∂C/∂W^l)."""
    Wt = [t64(W, requires_grad=True) for W in Ws]
    a = t64(x)
    Zs = []
    for W, b in zip(Wt, bs):
        Z = (W @ a + t64(b)).retain_grad()
        Zs.append(Z)
        a = tn.sigmoid(Z)
    d = a - t64(y)
    ((d * d).sum() * 0.5).backward()
    return [host(Z) for Z in Zs], [host(Z.grad) for Z in Zs], [host(W.grad) for W in Wt]


def _mlp_fd_delta(
    Ws: list[np.ndarray], bs: list[np.ndarray], y: np.ndarray, layer: int, Z: np.ndarray
) -> np.ndarray:
    """∂C/∂Z^layer by central differences of tinynet's forward from Z^layer on."""

    def downstream(Zt: Any) -> Any:
        a = tn.sigmoid(Zt)
        for W, b in zip(Ws[layer + 1 :], bs[layer + 1 :]):
            a = tn.sigmoid(t64(W) @ a + t64(b))
        d = a - t64(y)
        return (d * d).sum() * 0.5

    return finite_diff(downstream, Z)[0]


@register(
    "F2",
    "000 §4.2.2, lines 259-266",
    "δ^l = (a^l − y)⊙σ'(Z^l); δ^{l+1} = Σ_{i=l+1}^L w_{l+1,i} δ^{l+1}",
)
def check_f2(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 000 §4.2.2 (lines 259-266): the δ rule of backpropagation.

    Random sigmoid networks with three weight layers of widths 1-5 and the cost
    C = ½‖a^L − y‖²; the reference δ^l = ∂C/∂Z^l comes from tinynet autograd
    (``retain_grad`` on Z^l) and is checked against finite differences.
    """
    machinery = Tally("tinynet autograd δ^l vs finite differences", FD_TOL)
    out = Tally("document line 1 at the output layer l = L, (a^L − y)⊙σ'(Z^L), vs autograd δ^L")
    hidden1 = Tally(
        "document line 1 at a hidden layer l = L−1, (a^{L−1} − y)⊙σ'(Z^{L−1}), vs autograd δ^{L−1}"
    )
    recursion = Tally(
        "document line 2 read as δ^l = (W^{l+1})ᵀ δ^{l+1} (no σ'), vs autograd δ^{L−1}"
    )
    corrected = Tally(
        "corrected δ^l = ((W^{l+1})ᵀ δ^{l+1})⊙σ'(Z^l) from δ^L down, vs autograd at every layer"
    )
    grads_w = Tally("corrected ∂C/∂W^l = δ^l (a^{l−1})ᵀ vs autograd ∂C/∂W^l")
    for k in range(ev.draws):
        Ws, bs, x, y = _mlp_draw(rng)
        Zs, deltas, dWs = _mlp_autograd(Ws, bs, x, y)
        if k % 4 == 0:  # finite differences on every 4th draw keep the audit fast
            machinery.add(
                flat(deltas), flat([_mlp_fd_delta(Ws, bs, y, li, Zs[li]) for li in range(3)])
            )
        L = 2  # index of the output layer (0-based)
        doc_aL = doc_sigmoid(Zs[L])
        doc_dL = (doc_aL - y) * doc_dsigmoid(Zs[L])
        out.add(doc_dL, deltas[L])
        a_hidden = doc_sigmoid(Zs[L - 1])
        if a_hidden.shape == y.shape:
            hidden1.add((a_hidden - y) * doc_dsigmoid(Zs[L - 1]), deltas[L - 1])
        else:
            hidden1.add_error(math.inf, "undefined where a^{L−1} and y differ in length")
        recursion.add(Ws[L].T @ deltas[L], deltas[L - 1])
        corr = [np.empty(0)] * 3
        corr[L] = doc_dL
        for li in (1, 0):
            corr[li] = (Ws[li + 1].T @ corr[li + 1]) * doc_dsigmoid(Zs[li])
        corrected.add(flat(corr), flat(deltas))
        acts = [x] + [doc_sigmoid(Z) for Z in Zs[:-1]]
        grads_w.add(flat([np.outer(corr[li], acts[li]) for li in range(3)]), flat(dWs))
    ev.require(machinery, "tinynet's backward (sigmoid, matmul, add, mul, sum) is wrong")
    s_out, s_hid, s_rec = ev.tally(out), ev.tally(hidden1), ev.tally(recursion)
    s_corr, s_w = ev.tally(corrected), ev.tally(grads_w)
    ev.summary(
        f"output δ^L matches autograd (err {out.worst:.1g}); line 1 at a hidden layer: undefined or wrong in "
        f"{hidden1.count_over()}/{hidden1.n}; line 2 (as δ^l = Wᵀδ^{{l+1}}, no σ') median err {recursion.median:.2g}; "
        f"corrected recursion agrees (err {corrected.worst:.1g}, {ev.draws} random sigmoid nets)"
    )
    ev.step(
        "Line 2 as printed has δ^{l+1} on both sides: it says δ^{l+1} = c·δ^{l+1}, which only holds "
        "for c = 1 or δ^{l+1} = 0, and never yields δ^l. It also sums over layers i = l+1..L instead "
        "of over the neurons of layer l+1, and has no σ'."
    )
    ev.step(
        f"output-layer rule: {'holds' if s_out == 'agree' else 'fails'} (it is the l = L case only)"
    )
    if s_corr != "agree" or s_w != "agree":
        raise AuditError("the corrected backpropagation formulas disagree with tinynet autograd")
    if s_out == "agree" and s_hid == "agree" and s_rec == "agree":
        return holds()
    return wrong(
        "δ^L = (a^L − y)⊙σ'(Z^L) for the output layer only; δ^l = ((W^{l+1})ᵀ δ^{l+1})⊙σ'(Z^l) "
        "for l < L; ∂C/∂W^l = δ^l (a^{l−1})ᵀ, ∂C/∂b^l = δ^l"
    )


# --------------------------------------------------------------------------- F3
_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def _train_xor(hidden_activation: bool, seed: int, steps: int = 500) -> float:
    """Train 2-4-1 on XOR with tinynet Adam (lr 0.1, full batch, MSE); return the final MSE."""
    rng = np.random.default_rng(seed)
    W1, b1 = param64(rng.normal(size=(2, 4))), param64(np.zeros(4))
    W2, b2 = param64(rng.normal(size=4)), param64(np.zeros(()))
    opt = Adam([W1, b1, W2, b2], lr=0.1)
    X, y = t64(_XOR_X), t64(_XOR_Y)
    loss = None
    for _ in range(steps):
        opt.zero_grad()
        z = X @ W1 + b1
        h = tn.sigmoid(z) if hidden_activation else z
        loss = F.mse_loss(h @ W2 + b2, y)
        loss.backward()
        opt.step()
    with tn.no_grad():
        z = X @ W1 + b1
        h = tn.sigmoid(z) if hidden_activation else z
        return float(F.mse_loss(h @ W2 + b2, y).item())


@register(
    "F3",
    "001 §4.1, lines 71-85 (dup. 1198-1212)",
    "two-layer forward z_ij = Σ_p w_ip x_p + b_i, a_jk = Σ_i w_ij z_i + b_j (a 'non-linear transformation')",
)
def check_f3(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §4.1 (lines 71-85): no activation between the two layers.

    The document's two layers (the printed sums, cross-checked with tinynet) are
    compared with one affine map x -> (W2 W1) x + (W2 b1 + b2); then both the
    document's network and the corrected one (sigmoid hidden layer) are trained on
    XOR with tinynet's Adam.
    """
    ref = Tally(
        "tinynet evaluation of the document's two layers vs the printed sums as plain loops"
    )
    collapse = Tally(
        "document's two layers (printed sums) vs the single affine map (W2·W1) x + (W2·b1 + b2)"
    )
    for _ in range(ev.draws):
        n, m, k = (int(v) for v in rng.integers(1, 6, size=3))
        x = rng.normal(size=n)
        W1, b1, W2, b2 = (
            rng.normal(size=(m, n)),
            rng.normal(size=m),
            rng.normal(size=(k, m)),
            rng.normal(size=k),
        )
        # as printed: z_i = Σ_p w_ip x_p + b_i, a_j = Σ_i w_ij z_i + b_j -- no σ in between
        doc_z = [sum(W1[i, p] * x[p] for p in range(n)) + b1[i] for i in range(m)]
        doc_a = np.array([sum(W2[j, i] * doc_z[i] for i in range(m)) + b2[j] for j in range(k)])
        ref.add(host(t64(W2) @ (t64(W1) @ t64(x) + t64(b1)) + t64(b2)), doc_a)
        collapse.add(doc_a, (W2 @ W1) @ x + (W2 @ b1 + b2))
    ev.require(ref, "tinynet's matmul/add are wrong")
    s_collapse = ev.tally(collapse)
    A = np.c_[_XOR_X, np.ones(4)]
    coef = np.linalg.lstsq(A, _XOR_Y, rcond=None)[0]
    best_affine = ev.value("best_affine_xor_mse", float(np.mean((A @ coef - _XOR_Y) ** 2)))
    seeds = range(3)
    doc_mse = [_train_xor(False, s) for s in seeds]
    fix_mse = [_train_xor(True, s) for s in seeds]
    ev.value("doc_xor_mse", doc_mse)
    ev.value("corrected_xor_mse", fix_mse)
    ev.line(
        f"XOR, 500 Adam steps, 3 seeds: document's network MSE {fmt(min(doc_mse), 4)}..{fmt(max(doc_mse), 4)} "
        f"(best affine fit {fmt(best_affine, 4)}); with h = σ(z): max MSE {fmt(max(fix_mse), 3)}"
    )
    # The gradients used for the XOR training are themselves checked.
    fd = CheckedAutograd("tinynet autograd vs finite differences on the XOR network")
    r = np.random.default_rng(7)
    params = [r.normal(size=(2, 4)), r.normal(size=4), r.normal(size=4), r.normal(size=())]

    def xor_loss(W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
        return F.mse_loss(tn.sigmoid(t64(_XOR_X) @ W1 + b1) @ W2 + b2, t64(_XOR_Y))

    fd.grads(xor_loss, *params)
    fd.require(ev, "tinynet's backward is wrong, so the training results cannot be trusted")
    ev.summary(
        f"no activation: the two layers equal one affine map (err {collapse.worst:.1g}); on XOR the document's "
        f"network stays at MSE {fmt(min(doc_mse), 3)} (best affine {fmt(best_affine, 3)}), with h = σ(z) tinynet Adam "
        f"reaches {fmt(max(fix_mse), 2)}"
    )
    ev.step(
        "z_ij carries a spurious j and a_jk a spurious k; one symbol w serves both layers, with opposite index orders."
    )
    ev.step(
        "z_i is called the hidden neuron's input (line 79) and its output (line 85): no activation is applied."
    )
    if max(fix_mse) >= 0.05:
        raise AuditError(f"the corrected network failed to fit XOR (MSE {max(fix_mse):.3g})")
    if s_collapse == "disagree":
        return holds()  # the printed network would not be affine
    if min(doc_mse) < best_affine - 1e-6:
        raise AuditError(
            "an affine network beat the best affine fit of XOR: training or loss is broken"
        )
    return wrong("z_i = Σ_p w^(1)_ip x_p + b^(1)_i, h_i = σ(z_i), ŷ_j = Σ_i w^(2)_ji h_i + b^(2)_j")


# --------------------------------------------------------------------------- F4
@register(
    "F4",
    "001 §4.2, lines 87-105 (dup. 1214-1232)",
    "L = ½Σ_j(y_j−ŷ_j)²: ∂L/∂θ_ji = (y_j−ŷ_j) z_j; ∂L/∂θ_ip = (y_j−ŷ_j) w_ji σ'(z_i)",
)
def check_f4(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §4.2 (lines 87-105): gradients of the two-layer network.

    Network x (n) -> z = W1 x + b1 -> h = σ(z) (m) -> ŷ = θ h + b2 (k, linear as in
    F3), L = ½Σ_j (y_j − ŷ_j)². Draws have m >= k so that z_j exists.
    """
    machinery = CheckedAutograd()
    doc_out = Tally("document ∂L/∂θ_ji = (y_j−ŷ_j) z_j vs autograd")
    doc_out_flip = Tally("same with the sign flipped, (ŷ_j−y_j) z_j, vs autograd")
    doc_hid_flip = Tally(
        "document ∂L/∂θ_ip = (y_j−ŷ_j) w_ji σ'(z_i) (j = 1, sign flipped) vs autograd"
    )
    fix_out = Tally("corrected (ŷ_j−y_j) h_i vs autograd")
    fix_hid = Tally("corrected (Σ_j (ŷ_j−y_j) θ_ji) σ'(z_i) x_p vs autograd")
    for k_draw in range(ev.draws):
        n, k = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        m = int(rng.integers(k, 6))
        W1, b1, th, b2 = (
            rng.normal(size=(m, n)),
            rng.normal(size=m),
            rng.normal(size=(k, m)),
            rng.normal(size=k),
        )
        x, y = rng.normal(size=n), rng.normal(size=k)

        def loss(
            W1t: Any,
            tht: Any,
            x: np.ndarray = x,
            y: np.ndarray = y,
            b1: np.ndarray = b1,
            b2: np.ndarray = b2,
        ) -> Any:
            yhat = tht @ tn.sigmoid(W1t @ t64(x) + t64(b1)) + t64(b2)
            return F.mse_loss(yhat, t64(y), reduction="half_sum")

        _, (gW1, gth) = machinery.grads(loss, W1, th, fd=k_draw % 4 == 0)
        z = W1 @ x + b1
        h = doc_sigmoid(z)
        yhat = th @ h + b2
        d = np.outer((y - yhat) * z[:k], np.ones(m))  # document: no dependence on i
        doc_out.add(d, gth)
        doc_out_flip.add(-d, gth)
        doc_hid = np.outer((y[0] - yhat[0]) * th[0] * doc_dsigmoid(z), np.ones(n))  # no x_p, no Σ_j
        doc_hid_flip.add(-doc_hid, gW1)
        fix_out.add(np.outer(yhat - y, h), gth)
        fix_hid.add(np.outer((th.T @ (yhat - y)) * doc_dsigmoid(z), x), gW1)
    machinery.require(ev)
    states = [ev.tally(t) for t in (doc_out, doc_out_flip, doc_hid_flip)]
    s_fix = [ev.tally(fix_out), ev.tally(fix_hid)]
    ev.summary(
        f"vs tinynet autograd ({ev.draws} random nets): output formula median err {doc_out.median:.2g} "
        f"({doc_out_flip.median:.2g} with the sign flipped), hidden formula {doc_hid_flip.median:.2g}; corrected "
        f"formulas agree (err {max(fix_out.worst, fix_hid.worst):.1g})"
    )
    ev.step(
        "(y_j − ŷ_j) = −∂L/∂ŷ_j: as printed the formulas are descent directions, not gradients (sign)."
    )
    ev.step(
        "The output gradient must contain h_i (the hidden neuron the weight θ_ji leaves), not z_j."
    )
    ev.step("The hidden gradient lacks the input x_p and the sum over all outputs j.")
    if s_fix != ["agree", "agree"]:
        raise AuditError("the corrected gradients disagree with tinynet autograd")
    if states[0] == "agree":
        return holds()
    if states[1] == "agree" and states[2] == "agree":
        return holds_under("(y − ŷ) is −∂L/∂ŷ: the formulas give the descent direction")
    return wrong(
        "∂L/∂θ_ji = (ŷ_j − y_j) h_i with h_i = σ(z_i); "
        "∂L/∂w_ip = (Σ_j (ŷ_j − y_j) θ_ji) σ'(z_i) x_p"
    )


# --------------------------------------------------------------------------- F5
@register(
    "F5",
    "001 §4.3, lines 107-134 (dup. 1234-1261)",
    "sigmoid layer, x=[1,2,3], y=[4,5]: δ_j = (y_j − a_j)σ'(z_j), Δw_jp = δ_j x_p, Δb_j = δ_j",
)
def check_f5(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §4.3 (lines 107-134): one sigmoid layer, 3 inputs, 2 outputs.

    The document's data x = [1, 2, 3], y = [4, 5], random weights. The loss is not
    stated; with L = ½Σ_j (y_j − a_j)², Δw and Δb are the *negative* gradients.
    """
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0])
    machinery = CheckedAutograd()
    conv = Tally("document Δw = δ x, Δb = δ vs −∂L/∂(w, b) from autograd, L = ½Σ(y − a)²")
    plain = Tally("document Δw, Δb read as the gradients ∂L/∂(w, b)")

    def loss(W: Any, b: Any) -> Any:
        return F.mse_loss(tn.sigmoid(W @ t64(x) + b), t64(y), reduction="half_sum")

    for k in range(ev.draws):
        W, b = rng.normal(scale=0.5, size=(2, 3)), rng.normal(scale=0.5, size=2)
        _, (gW, gb) = machinery.grads(loss, W, b, fd=k % 4 == 0)
        z = W @ x + b
        doc_delta = (y - doc_sigmoid(z)) * doc_dsigmoid(z)
        doc = flat([np.outer(doc_delta, x), doc_delta])
        conv.add(doc, -flat([gW, gb]))
        plain.add(doc, flat([gW, gb]))
    machinery.require(ev)
    s_conv, s_plain = ev.tally(conv), ev.tally(plain)
    # Training on the document's data with tinynet: the targets are outside (0, 1).
    W, b = param64(rng.normal(scale=0.5, size=(2, 3))), param64(np.zeros(2))
    opt = SGD([W, b], lr=0.5)
    first = last = None
    for _ in range(300):
        opt.zero_grad()
        L = loss(W, b)
        L.backward()
        opt.step()
        first = L.item() if first is None else first
        last = L.item()
    floor = ev.value("loss_floor", 0.5 * ((4 - 1) ** 2 + (5 - 1) ** 2))
    with tn.no_grad():
        outs = host(tn.sigmoid(W @ t64(x) + b))
    ev.line(
        f"targets 4, 5 lie outside σ's range (0, 1): tinynet SGD (lr 0.5, 300 steps) takes the loss "
        f"from {fmt(first, 5)} to {fmt(last, 6)} >= ½(3² + 4²) = {fmt(floor)}, outputs {fmt(outs, 4)}"
    )
    ev.summary(
        f"Δw, Δb = −∂L/∂(w, b) for L = ½Σ(y − a)² (max err {conv.worst:.1g}, {ev.draws} draws); as gradients the sign "
        f"is wrong (err {plain.median:.2g}); targets 4, 5 > 1: loss stays >= 12.5 ({fmt(last, 5)} after 300 SGD steps)"
    )
    ev.value("trained_loss", last)
    if last is None or last < floor:
        raise AuditError("the trained loss fell below its lower bound 12.5")
    if s_plain == "agree":
        return holds()
    if s_conv == "agree":
        return holds_under(
            "the loss is L = ½Σ_j (y_j − a_j)² (not stated) and Δw, Δb are update directions "
            "(−∂L/∂w, applied as w ← w + αΔw), not gradients"
        )
    return wrong("∂L/∂w_jp = −(y_j − a_j) σ'(z_j) x_p, ∂L/∂b_j = −(y_j − a_j) σ'(z_j)")


# --------------------------------------------------------------------------- F6
@register(
    "F6",
    "001 §4.1.2 (second part), lines 597-630",
    "∂L/∂w_ij = δ_j x_i, ∂L/∂b_i = δ_j (hidden); ∂L/∂w_ij = δ_j h_i, ∂L/∂b_j = δ_j (output)",
)
def check_f6(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §4.1.2, second part (lines 597-630).

    Network x (n) -> u = W1 x + b1 -> h = act(u) (m) -> o = W2 h + b2 (one output, so
    that δ_j is unambiguous), L = ½(o − t)². ``act`` alternates between the identity
    (the forward pass as printed) and σ (what the text's σ' suggests). The document
    is granted its δ_j: it is taken to be the true output error ∂L/∂o_j from autograd.
    """
    machinery = CheckedAutograd()
    out_w = Tally("output layer ∂L/∂w_ij = δ_j h_i vs autograd")
    out_b = Tally("output layer ∂L/∂b_j = δ_j vs autograd")
    hid_w = Tally("hidden layer ∂L/∂w_ij = δ_j x_i vs autograd")
    hid_b = Tally("hidden layer ∂L/∂b_i = δ_j vs autograd")
    fixed = Tally(
        "corrected hidden δ^h_i = act'(u_i) Σ_j w2_ji δ_j, ∂L/∂w1_ip = δ^h_i x_p, ∂L/∂b1_i = δ^h_i, vs autograd"
    )
    for k in range(ev.draws):
        use_sigmoid = k % 2 == 1
        n, m = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        W1, b1, W2, b2 = (
            rng.normal(size=(m, n)),
            rng.normal(size=m),
            rng.normal(size=(1, m)),
            rng.normal(size=1),
        )
        x, t = rng.normal(size=n), rng.normal(size=1)

        def loss(
            W1t: Any,
            b1t: Any,
            W2t: Any,
            b2t: Any,
            x: np.ndarray = x,
            t: np.ndarray = t,
            sig: bool = use_sigmoid,
        ) -> Any:
            u = W1t @ t64(x) + b1t
            h = tn.sigmoid(u) if sig else u
            return F.mse_loss(W2t @ h + b2t, t64(t), reduction="half_sum")

        # δ_j = ∂L/∂o_j, the output error, from autograd (granted to the document)
        W1t, b1t, W2t, b2t = (t64(a, requires_grad=True) for a in (W1, b1, W2, b2))
        u = W1t @ t64(x) + b1t
        h = tn.sigmoid(u) if use_sigmoid else u
        o = (W2t @ h + b2t).retain_grad()
        F.mse_loss(o, t64(t), reduction="half_sum").backward()
        delta, hv, uv = host(o.grad), host(h), host(u)
        gW1, gb1, gW2, gb2 = (host(p.grad) for p in (W1t, b1t, W2t, b2t))
        if k % 3 == 0:  # every 3rd draw: both the linear and the sigmoid variant
            machinery.add([gW1, gb1, gW2, gb2], loss, W1, b1, W2, b2)
        out_w.add(np.outer(delta, hv), gW2)
        out_b.add(delta, gb2)
        hid_w.add(np.outer(np.full(m, delta[0]), x), gW1)
        hid_b.add(np.full(m, delta[0]), gb1)
        act_prime = doc_dsigmoid(uv) if use_sigmoid else np.ones(m)
        dh = act_prime * (W2.T @ delta)
        fixed.add(flat([np.outer(dh, x), dh]), flat([gW1, gb1]))
    machinery.require(ev)
    s = [ev.tally(t) for t in (out_w, out_b, hid_w, hid_b)]
    s_fix = ev.tally(fixed)
    ev.summary(
        f"granting δ_j = ∂L/∂o_j: output-layer formulas agree with autograd (err {max(out_w.worst, out_b.worst):.1g}); "
        f"hidden-layer ∂L/∂w = δ_j x_i median err {hid_w.median:.2g}, ∂L/∂b_i = δ_j {hid_b.median:.2g}; "
        f"backpropagated δ^h agrees (err {fixed.worst:.1g})"
    )
    ev.step(
        "One symbol w_ij is used for both weight matrices; y_j and ŷ_j are both called the output (no target)."
    )
    ev.step(
        "δ_j = (y_j − ŷ_j)σ'(h_j) puts a hidden pre-activation h under an output index j, and the printed forward pass applies no σ."
    )
    ev.step(
        "The hidden-layer gradients reuse the output error δ_j instead of propagating it back through the output weights."
    )
    if s_fix != "agree":
        raise AuditError("the corrected hidden-layer gradients disagree with tinynet autograd")
    if all(v == "agree" for v in s):
        return holds()
    return wrong(
        "output layer: ∂L/∂w2_ji = δ_j h_i, ∂L/∂b2_j = δ_j (these hold); hidden layer: "
        "δ^h_i = σ'(u_i) Σ_j w2_ji δ_j, ∂L/∂w1_ip = δ^h_i x_p, ∂L/∂b1_i = δ^h_i"
    )


# --------------------------------------------------------------------------- F7
@register(
    "F7",
    "004 §4.1, lines 161-175",
    "matrix form z_l = X·W_l + b_l, y = Z·W_out + b_out",
)
def check_f7(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 004 §4.1 (lines 161-175): the layer in matrix form.

    tinynet's ``nn.functional.linear`` (row-vector convention, W of shape (in, out))
    is compared with the per-sample column form Wᵀx_i + b. Read in the column
    convention instead (samples as columns of X, W of shape (out, in)), the printed
    product X·W is a shape error or computes something else.
    """
    rows = Tally("row-vector reading (X: samples × features, W: in × out) vs per-sample Wᵀx_i + b")
    cols = Tally(
        "column-vector reading (X: features × samples, W: out × in) vs per-sample W x_i + b"
    )
    collapse = Tally("y = Z·W_out + b_out with Z = z_l (no activation written) vs one affine map")
    for _ in range(ev.draws):
        m, D, H, K = (int(v) for v in rng.integers(1, 5, size=4))
        X, W, b = rng.normal(size=(m, D)), rng.normal(size=(D, H)), rng.normal(size=H)
        z = host(F.linear(t64(X), t64(W), t64(b)))
        per_sample = np.stack([sum(W[d] * X[i, d] for d in range(D)) + b for i in range(m)])
        rows.add(z, per_sample)
        Xc, Wc = X.T, W.T  # the same data in the column convention
        if Xc.shape[1] == Wc.shape[0] and (D, H) == (H, m):
            cols.add((Xc @ Wc).T + b, per_sample)
        elif Xc.shape[1] == Wc.shape[0]:
            cols.add_error(math.inf, "wrong result shape where X·W type-checks")
        else:
            cols.add_error(math.inf, "X·W is a shape error in most draws")
        Wo, bo = rng.normal(size=(H, K)), rng.normal(size=K)
        collapse.add(host(F.linear(t64(z), t64(Wo), t64(bo))), X @ (W @ Wo) + (b @ Wo + bo))
    s_rows, s_cols = ev.tally(rows), ev.tally(cols)
    ev.tally(collapse)
    ev.summary(
        f"row-vector reading = tinynet F.linear = per-sample Wᵀx + b (max err {rows.worst:.1g}, {ev.draws} draws); "
        f"column-vector reading: X·W a shape error or a different result in {cols.count_over()}/{cols.n} draws"
    )
    ev.step(
        "Z is 'the output of the hidden layer' but Z = σ(z_l) is never written; without it the two layers are one affine map (see F3)."
    )
    if s_rows != "agree":
        raise AuditError("tinynet's linear layer disagrees with the per-sample form")
    if s_cols == "agree":
        return holds()
    return holds_under(
        "row-vector convention: X is (samples × features), W_l is (in × out), b_l is added to every row; "
        "the activation Z = σ(z_l) between the layers is implied"
    )


# --------------------------------------------------------------------------- F8
def _doc_tanh(x: np.ndarray) -> np.ndarray:
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


@register(
    "F8",
    "001 §4.1.1, lines 575-595; 003 §4.3, lines 612-631",
    "σ(x) = 1/(1+e^−x), ReLU(x) = max(0, x), tanh(x) = (e^x − e^−x)/(e^x + e^−x)",
)
def check_f8(ev: Evidence, rng: np.random.Generator) -> Outcome:
    """Seed 001 §4.1.1 (lines 575-595) and seed 003 §4.3 (lines 612-631).

    Each printed formula is compared with tinynet's operation (values), and the
    derivative of the printed formula (central differences, :func:`tinynet.central_difference`)
    with tinynet's backward.
    """
    doc = {"sigmoid": doc_sigmoid, "relu": lambda v: np.maximum(0.0, v), "tanh": _doc_tanh}
    ops = {"sigmoid": tn.sigmoid, "relu": tn.relu, "tanh": tn.tanh}
    # Independent references from numpy's own functions (identities, not the printed formulas).
    ref = {
        "sigmoid": lambda v: 0.5 * (1.0 + np.tanh(0.5 * v)),
        "relu": lambda v: np.where(v > 0, v, 0.0),
        "tanh": np.tanh,
    }
    values = {k: Tally(f"{k}: document's formula vs independent numpy reference") for k in doc}
    ev.step(
        "numpy references: σ(x) = (1 + tanh(x/2))/2, ReLU = np.where(x > 0, x, 0), tanh = np.tanh"
    )
    derivs = {
        k: Tally(
            f"{k}: derivative of the document's formula (finite diff.) vs tinynet backward", FD_TOL
        )
        for k in doc
    }
    forward = Tally("tinynet sigmoid/relu/tanh vs the numpy references", unit="evaluation")
    machinery = Tally(
        "tinynet backward vs finite differences of tinynet's own forward", FD_TOL, unit="evaluation"
    )
    for _ in range(ev.draws):
        shape = tuple(int(s) for s in rng.integers(1, 5, size=int(rng.integers(1, 3))))
        x = rng.normal(scale=4.0, size=shape)
        x = np.where(np.abs(x) < 1e-3, 0.5, x)  # keep away from ReLU's kink
        for name in doc:
            values[name].add(doc[name](x), ref[name](x))
            forward.add(host(ops[name](t64(x))), ref[name](x))
            _, (g,) = autograd(lambda t, f=ops[name]: f(t).sum(), x)
            fd_doc = tn.central_difference(lambda v, f=doc[name]: float(f(v).sum()), x)
            derivs[name].add(g, fd_doc)
            machinery.add(g, finite_diff(lambda t, f=ops[name]: f(t).sum(), x)[0])
    ev.require(forward, "tinynet's forward of sigmoid/relu/tanh is wrong")
    ev.require(machinery, "tinynet's backward of sigmoid/relu/tanh is wrong")
    states = [ev.tally(t) for t in (*values.values(), *derivs.values())]
    big = np.array([-800.0, 800.0])
    with fp_events() as events:
        doc_big = _doc_tanh(big)
    tn_big = host(tn.tanh(t64(big)))
    ev.line(
        f"practical note: the printed tanh formula at x = ±800 gives {fmt(doc_big)} "
        f"(numpy: {', '.join(events) or 'no events'}); tinynet.tanh gives {fmt(tn_big)}"
    )
    ev.summary(
        f"σ, ReLU, tanh as printed = numpy references (max err {max(t.worst for t in values.values()):.1g}); their "
        f"derivatives = tinynet backward (max err {max(t.worst for t in derivs.values()):.1g}, {ev.draws} draws); "
        f"printed tanh at ±800 → {fmt(doc_big)}"
    )
    ev.value("doc_tanh_800", doc_big.tolist())
    if all(s == "agree" for s in states):
        return holds()
    bad = [t.what for t in (*values.values(), *derivs.values()) if t.disagrees]
    return wrong("standard definitions; disagreeing: " + "; ".join(bad))
