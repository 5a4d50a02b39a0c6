#!/usr/bin/env python3
"""Derive the Poseidon2 instance used by kaizen-field over F_p, p = 2^61 - 1, S-box x^17.

1. Round numbers: the security inequalities of the Poseidon2 paper (Grassi-Khovratovich-Schofnegger,
   ePrint 2023/323, Sec. 3 / the reference `calc_round_numbers.py`, including the 2023/537 Groebner
   bound), at M = 128 bits, minimising the S-box count t*R_F + R_P, then adding the paper's security
   margin: R_F += 2, R_P *= 1.075 (rounded up).
2. Internal matrix M_I = J + diag(d) (J all ones), d = (c, 1, 2, 4, ..., 2^(t-2)) for the first c in
   2, -2, 3, -3, ... such that M_I is invertible and for
   k = 1..2t the minimal polynomial of M_I^k is irreducible of degree t (no invariant subspace
   trails; the reference parameter script's `check_minpoly_condition`).

Requires sympy. Prints the parameters kaizen-field hard-codes; exits 1 if a check fails.
"""
import math
import sys
from sympy import Poly, symbols, GF
from sympy.polys.matrices import DomainMatrix

P = (1 << 61) - 1
ALPHA = 17
M = 128
N_BITS = math.log2(P)


def secure(t, rf, rp):
    la = math.log(2, ALPHA)  # log_alpha(2)
    r_f1 = 6 if M <= (math.floor(N_BITS - (ALPHA - 1) / 2.0)) * (t + 1) else 10
    r_f2 = 1 + math.ceil(la * min(M, N_BITS)) + math.ceil(math.log(t, ALPHA)) - rp
    r_f3 = la * min(M, N_BITS) - rp
    r_f4 = t - 1 + la * min(M / (t + 1), N_BITS / 2) - rp
    r_f5 = (t - 2 + M / (2 * math.log2(ALPHA)) - rp) / (t - 1)
    r_max = max(math.ceil(x) for x in (r_f1, r_f2, r_f3, r_f4, r_f5))
    r_temp = t // 3
    over = (rf - 1) * t + rp + r_temp + r_temp * (rf / 2) + rp + ALPHA
    under = r_temp * (rf / 2) + rp + ALPHA
    binom_log = (math.lgamma(over + 1) - math.lgamma(under + 1) - math.lgamma(over - under + 1)) / math.log(2)
    return rf >= r_max and math.ceil(2 * binom_log) >= M


def round_numbers(t):
    best = None
    for rp in range(1, 200):
        for rf in range(2, 40, 2):
            if secure(t, rf, rp):
                cost = t * rf + rp
                if best is None or cost < best[0]:
                    best = (cost, rf, rp)
                break
    _, rf, rp = best
    return rf + 2, math.ceil(1.075 * rp), (rf, rp)


def candidates(t):
    # Powers of two keep the internal layer cheap; the first entry c (tried in order 2, -2, 3, -3, ...)
    # breaks the structure. The first candidate passing every check is the one we use.
    for k in range(2, 200):
        for c in (k, P - k):
            yield [c] + [1 << i for i in range(t - 1)]


def check_matrix(t, d):
    F = GF(P)
    rows = [[F(1 + (d[i] if i == j else 0)) if i == j else F(1) for j in range(t)] for i in range(t)]
    m = DomainMatrix(rows, (t, t), F)
    if m.det() == F(0):
        return False, "singular"
    x = symbols("x")
    mk = m
    for k in range(1, 2 * t + 1):
        cp = mk.charpoly()
        poly = Poly([int(c) % P for c in cp], x, modulus=P)
        if poly.degree() != t or not poly.is_irreducible:
            return False, f"charpoly of M_I^{k} reducible"
        mk = mk * m
    return True, "ok"


ok = True
for t in (8, 16):
    rf, rp, raw = round_numbers(t)
    good, why, d = False, "no candidate", None
    for cand in candidates(t):
        good, why = check_matrix(t, cand)
        if good:
            d = cand
            break
    ok &= good
    signed = [x - P if x > P // 2 else x for x in d]
    print(f"width {t}: R_F = {rf}, R_P = {rp} (before margin {raw}); M_I = J + diag({signed}): {why}")
sys.exit(0 if ok else 1)
