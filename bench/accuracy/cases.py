# (id, part, answer, expected verdict(s) "a|b")
C = "correct"; P = "partial"; I = "incorrect"; U = "unreadable"; NR = "needs_review"
CASES = []
def add(part, exp, *answers):
    for a in answers:
        CASES.append((f"{part}#{sum(1 for c in CASES if c[1]==part)+1}", part, a, exp))

# ---------------- q1.a ----------------
add("q1.a", C,
    r"\|\mu\|^2", r"\|\mu\|_2^2", "‖μ‖²", "‖μ‖₂²", "||mu||^2", "|mu|^2", r"\lVert \mu \rVert^2", r"\left\|\mu\right\|^2",
    r"\mu^T \mu", r"\mu^\top\mu", "μᵀμ", "mu^T mu", "mu.mu", "mu·mu", r"\mu \cdot \mu", "dot(mu, mu)", "<mu, mu>", r"\langle \mu, \mu \rangle",
    r"\sum_{i=1}^d \mu_i^2", r"\sum_i \mu_i^2", "Σ_i μ_i²", "sum_i mu_i^2", r"\sum_{i=1}^{d} \mu_{i}^{2}",
    r"E[q^T k] = \|\mu\|^2", r"\mathbb{E}[q^\top k] = \mu^\top \mu", "E[qᵀk] = μᵀμ.", r"$\|\mathbf{\mu}\|^2$", r"\boldsymbol{\mu}^\top\boldsymbol{\mu}",
    "d*mu^2", "d mu^2", "dμ²", r"d\mu^2", r"$d \mu^2$", "d*mu**2", r"d \cdot \mu^2", "d·μ²", "mu^2 d", r"\mu^2 d",
    r"E[q^Tk] = d\mu^2", r"\mathbb{E}[\mathbf{q}^\top \mathbf{k}] = \|\boldsymbol\mu\|_2^2",
    "The expectation is ||mu||^2 since q and k are independent.",
    r"\mathbf{\mu}^T\mathbf{\mu}", r"\mu^{T}\mu", "mu' * mu",
)
add("q1.a", I,
    "d mu^2 + d sigma^2", r"d\mu^2 + d\sigma^2", "dμ² + dσ²", r"\|\mu\|^2 + d\sigma^2", r"\|\mu\|^2 + \sigma^2",
    "d*mu", "dμ", r"d\mu", "mu^2", "μ²", "0", "d", r"d\sigma^2", "d^2 mu^2", r"\|\mu\|", "sqrt(d) mu^2", "mu^T 1", r"\sum_i \mu_i",
    r"2\|\mu\|^2", r"\|\mu\|^2 / d", "σ²", r"d(\mu^2 + \sigma^2)",
)
# ---------------- q1.b ----------------
add("q1.b", C,
    "d", "Var(q^T k) = d", r"\mathrm{Var}(q^\top k) = d", r"\text{Var}(q^Tk) = d", r"$d$", "d.", r"d\sigma^4", "dσ⁴", "d*sigma^4",
    r"\operatorname{Var}(q^\top k) = d", "The variance is d.", r"Var[qᵀk] = d", r"\sum_{i=1}^d 1 = d", "d*1", "d σ^4 = d",
)
add("q1.b", I, "d^2", "d²", "1", "sqrt(d)", "√d", r"\sqrt{d}", "d/2", r"\frac{d}{2}", "2d", "0", r"d\sigma^2 + d\mu^2", "d^3",
    "Var(q^T k) = d^2", r"\mathrm{Var}(q^\top k) = \sqrt{d}")
# ---------------- q1.c ----------------
add("q1.c", C,
    r"\sqrt{d}", "√d", "d^(1/2)", "d**0.5", "s = sqrt(d)", r"s = \sqrt{d}", "s=√d", "sqrt(d)", r"$\sqrt{d}$", r"s = \sqrt{d}.",
    r"s = \sqrt{d}, because Var(q^T k) = d and dividing by s scales the variance by 1/s^2.",
    "d^{1/2}", "d^0.5", r"\sqrt d", "√(d)", r"\left(d\right)^{1/2}", r"d^{\frac{1}{2}}", "s = +sqrt(d)",
    r"s = \sqrt{d} (taking the positive root)", "We choose s = √d.",
    r"s=\sqrt{\mathrm{Var}(q^\top k)}=\sqrt{d}",
)
add("q1.c", P, "±√d", r"\pm\sqrt{d}", "+-sqrt(d)", "s = ±sqrt(d)", r"s = \pm \sqrt{d}")
add("q1.c", I, "1/sqrt(d)", r"\frac{1}{\sqrt{d}}", "1/√d", "d^(-1/2)", "d", "d^2", "s = d", "-sqrt(d)", r"-\sqrt{d}", "2sqrt(d)", "d/2", "sqrt(2d)", r"s = 1/\sqrt{d}")
# ---------------- q2.a ----------------
add("q2.a", C,
    "[1, 4, 3]", "(1, 4, 3)", "[1,4,3]", "v_2 = [1,4,3]", r"\begin{bmatrix}1\\4\\3\end{bmatrix}", "[1 4 3]", "(1, 4, 3)^T", "[1,4,3]ᵀ", "[1, 4, 3]^\\top",
    r"\begin{pmatrix} 1 \\ 4 \\ 3 \end{pmatrix}", "v2 = [1, 4, 3]", "[1.0, 4.0, 3.0]", "The output is v2 = [1, 4, 3].", r"$[1, 4, 3]^T$",
    r"v_2 = \begin{bmatrix} 1 & 4 & 3 \end{bmatrix}^T", "[1; 4; 3]", "1, 4, 3", "output = [1, 4, 3]", r"\left[1, 4, 3\right]",
    "[1, 4, 3] (the value of key k2, whose score 11 is the largest)", r"\mathbf{v}_2 = [1, 4, 3]^\top",
    r"(1,\ 4,\ 3)",
)
add("q2.a", I, "[2, 0, 1]", "143", "[1, 4]", "[0, -1, 4]", "[1, 0, -1]", "[3, 11, 5, 2]", "[0, 3, 4]", "[1, 4, 3, 0]", "11", "[4, 1, 3]", "[0,−1,4]", "v3 = [0, -1, 4]",
    "[1, -4, 3]", "[1, 4, -3]")
# ---------------- q2.b ----------------
add("q2.b", C,
    "argmax is piecewise constant, so its gradient is zero almost everywhere; the queries and keys receive no gradient and cannot be learned.",
    "Argmax is not differentiable, so no gradient flows back to W_Q and W_K; the query and key projections can't be trained.",
    "The gradient of argmax w.r.t. the attention scores is 0 almost everywhere (undefined at ties). Therefore the parameters producing the queries and keys never get updated during backprop.",
    "Because argmax is a step function, its derivative is zero everywhere except at the jumps. So backprop gives zero gradient to the query and key weights, meaning the model can't learn which keys to attend to.",
    "Using argmax makes the attention non-differentiable. Gradients cannot flow through the selection, so the keys and queries would not be learned; only the chosen value gets gradient.",
    "With argmax the gradients w.r.t. q and k vanish, so we cannot learn the query and key matrices. Softmax is a smooth relaxation of argmax.",
    "Argmax has zero gradient almost everywhere, so W_Q and W_K receive no gradient signal and are never updated.",
    "The derivative of the argmax output with respect to the scores is zero (or undefined), so there is no gradient to the queries and keys, which therefore cannot learn.",
)
add("q2.b", NR + "|" + I,
    "Argmax makes training faster because it is sparse.",
    "It would be hard to train.",
    "Argmax is not differentiable.",
    "The queries and keys cannot be learned.",
    "Argmax picks only one value so the model loses information from other tokens, which hurts accuracy.",
    "Training is unaffected since argmax and softmax pick the same maximum.",
    "Gradients are not zero; argmax works fine with backprop because the selected value still gets gradient.",
    "Argmax converges faster since the gradient is sharper.",
)
# A false-positive trap: mentions words but says the opposite
add("q2.b", NR + "|" + I,
    "The gradient is not zero: the queries and keys are learned normally, argmax only changes the forward pass.",
    "Nothing changes: gradients still flow to queries and keys as usual, they are not blocked.",
)
# ---------------- q4.a ----------------
add("q4.a", C, "[h, d, q]", "(h, d, q)", "h × d × q", "h×d×q", "[h,d,d/h]", r"\mathbb{R}^{h\times d\times q}", r"\mathbb{R}^{h \times d \times d/h}",
    "h x d x q", "[h, d, k]", "W_q: [h, d, q]", "[h, d, d / h]", "(h, d, d/h)", r"$[h, d, q]$", r"\mathbb R^{h\times d\times \frac{d}{h}}", "[h,d,q].",
    "hxdxq", "[h, d, v]", "ℝ^{h×d×q}", "A = [h, d, q]", "W_q ∈ R^{h×d×q}", r"[h \times d \times q]", "h*d*q")
add("q4.a", I, "[d, q]", "[h, q]", "[d, h, q]", "[h, d]", "[d, d]", "[h, d, d]", "[h, q, d]", "[d, k]", "[h,d,q,1]", "[b, h, d, q]", "(d, q)", "d × q", r"\mathbb{R}^{d\times q}")
# ---------------- q4.b ----------------
add("q4.b", C, "[d, k]", "d x k", "[d, d/h]", "(d, k)", "d×k", r"\mathbb{R}^{d\times k}", r"\mathbb{R}^{d \times \frac{d}{h}}", "[d,q]", "[d, v]",
    "W_k: [d, k]", "[d, k] (shared by all heads)", "d × (d/h)")
add("q4.b", I, "[h, d, k]", "[h, k]", "[k, d]", "[d, d]", "[d]", "[d, h]", "[b, d, k]", "(h, d, k)", "h×d×k", "[1, d, k]")
# ---------------- q4.f ----------------
add("q4.f", C, "O(bd^2 + bnd)", "O(b*d^2 + b*n*d)", "O(bnd + bd²)", r"\mathcal{O}(bd^2+bnd)", "O(b d^2 + b n d)",
    r"$\mathcal{O}(bd^2 + bnd)$", r"\Theta(bd^2 + bnd)", "Θ(bd² + bnd)", "The compute is O(bd² + bnd) per step.",
    r"O\left(bd^2 + bnd\right)", "O(bd(d + n))", "O(b d (n + d))", r"O(bd^2 + bnhk)", "O(bd^2 + bnhk)", "O(b*d**2 + b*n*d)",
    "O(bd^2 + bndh/h)", r"O(b d^{2} + b n d)", r"\mathcal{O}\left(b d^2 + b n d\right).", "O(bd^2+bnd) FLOPs",
    "O(bd^2 + bnd), same as MHA", "O(bd^2 + bnhq)", "bd^2 + bnd", "O(bd^2) + O(bnd)", r"O(bd\cdot d + bnd)", r"O(b \cdot d^2 + b \cdot n \cdot d)",
    "O(b(d^2 + nd))", "O(bnd + bd^2 + bd)", "O(2bd^2 + 2bnd)")
add("q4.f", I, "O(bd + bhd)", "O(bnd^2)", "O(bnd)", "O(bd^2)", "O(bnd/h + bd^2)", "O(b n d / h + b d^2)", "O(bn^2d)", "O(d^2 + bnd)", "O(bd^2 + nd)", "O(b d^2 h + b n d)", "O(n d^2)",
    "O(bd^2 + bnk)", "O(bd^2 + bn d^2)")
# ---------------- q4.g ----------------
add("q4.g", C, "O(d^2 + bd + bnk)", r"O\left(d^2 + bd + \frac{bnd}{h}\right)", "O(d² + bd + bnd/h)", "O(d^2 + bd + bnd/h)",
    r"\mathcal{O}(d^2 + bd + bnk)", r"$O(d^2 + bd + \frac{bnd}{h})$", "O(d^2 + bd + b n d / h)", "Θ(d² + bd + bnk)",
    "O(d^2 + bd + bnk) where k = d/h", "O(d^2 + bd + bnv)", "O(d^2 + bd + bnq)",
    r"Memory access: $O(d^2 + bd + bnk) = O\left(d^2 + bd + \frac{bnd}{h}\right)$", "O(d^2 + b d + b n d h^{-1})", "O(d^2 + bd + 2bnk)",
    r"O(d^2 + bd + bn\frac{d}{h})", r"O(d^2 + bd + bn \cdot d/h)", r"O\left(d^{2}+bd+\frac{b n d}{h}\right)")
add("q4.g", P, "O(d^2 + bd + bnd)", "O(d² + bd + bnd)", r"O(d^2 + bd + bnhk)")
add("q4.g", I, "O(bnd)", "O(bnk)", "O(d^2 + bnd/h)", "O(d^2 + bd)", "O(bd + bnd/h)", "O(d^2 + bd + nd/h)", "O(d^2 + bd + bnd/h^2)", "O(d^2/h + bd + bnd/h)", "O(bd^2 + bnd)", "O(d^2 + bd + bnhd)")
# ---------------- q6.a ----------------
add("q6.a", C,
    r"\sum_j sim(Q_i, K_j) \neq 0 for every i",
    "The denominator must never be zero: sum_j sim(Q_i, K_j) != 0.",
    "sim(q, k) > 0 for all q, k",
    "sim must be strictly positive.",
    r"$\mathrm{sim}(q,k) > 0$",
    "The similarity function must always be positive, like exp.",
    r"\sum_{j=1}^N \text{sim}(Q_i,K_j) \ne 0",
    "Σ_j sim(Q_i, K_j) ≠ 0 for all i",
    "We need the normalizer to be nonzero for every row i.",
    "sim(·,·) must output positive values so the denominator can't vanish.",
    "The sum of similarities in the denominator must not equal zero.",
    "sim(Q_i, K_j) > 0",
    "sim > 0",
)
add("q6.a", NR + "|" + I,
    "sim(q, k) >= 0",
    "sim must be non-negative",
    r"\mathrm{sim}(q,k) \geq 0 for all q, k",
    "sim must be a valid kernel (positive semi-definite).",
    "sim must be a kernel.",
    "sim should be bounded.",
    "sim must be continuous.",
    "sim(q,k) ≥ 0",
    "The similarity must be a Mercer kernel.",
)
# Traps: negative/unrelated phrasing that a regex might accept
add("q6.a", NR + "|" + I,
    "sim can be zero or negative, it does not matter.",
    "The denominator can be zero, that's fine because we normalize.",
    "sim(q,k) can be any real number, even negative",
    "sim must be positive semi-definite",
    "sim(q,k) = 0",
)
# ---------------- q6.b.i ----------------
add("q6.b.i", C, "(q^T k + 1)^2", "(q·k+1)^2", "(dot(q,k)+1)**2", "1 + 2 q^T k + (q^T k)^2", r"(q^\top k + 1)^2", "(qᵀk + 1)²",
    r"\mathrm{sim}(q, k) = (q^\top k + 1)^2", "sim(q,k) = (q.k + 1)^2", r"\left(q^T k + 1\right)^2", r"(1 + q^\top k)^2", "(<q, k> + 1)^2",
    r"(\mathbf{q}^\top\mathbf{k} + 1)^2", "(1+qᵀk)²", r"$(q^Tk+1)^2$", "(q^Tk + 1)^2", "(k^T q + 1)^2", "(q^T k+1)*(q^T k+1)",
    r"\left(\langle q,k\rangle+1\right)^{2}", "sim(q, k) = (qᵀk + 1)².", r"(q \cdot k + 1)^2", r"K(q,k) = (q^T k + 1)^2",
    "(q'k + 1)^2", r"(\sum_i q_i k_i + 1)^2", "(q^T k + c)^2 with c = 1")
add("q6.b.i", I, "(q^T k)^2", "1 + q^T k + (q^T k)^2", "(q^T k + 1)^3", "q^T k + 1", "(q^T k)^2 + 1", "(q^T k + 2)^2",
    "(q^T q + 1)^2", "2(q^T k + 1)^2", "(q^Tk + 1)^2 / 2", "exp(q^T k)")
# ---------------- q6.b.ii ----------------
add("q6.b.ii", C,
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]",
    r"[1, \sqrt{2}x_1, \sqrt{2}x_2, \sqrt{2}x_3, x_1^2, x_2^2, x_3^2, \sqrt{2}x_1x_2, \sqrt{2}x_1x_3, \sqrt{2}x_2x_3]",
    "[x1^2, x2^2, x3^2, sqrt(2)*x1*x2, sqrt(2)*x1*x3, sqrt(2)*x2*x3, sqrt(2)*x1, sqrt(2)*x2, sqrt(2)*x3, 1]",
    "[1, √2x₁, √2x₂, √2x₃, x₁², x₂², x₃², √2x₁x₂, √2x₁x₃, √2x₂x₃]",
    "[1, sqrt(2) x1, sqrt(2) x2, sqrt(2) x3, x1^2, x2^2, x3^2, sqrt(2) x1 x2, sqrt(2) x1 x3, sqrt(2) x2 x3]",
    r"\phi(x) = [1, \sqrt{2}x_1, \sqrt{2}x_2, \sqrt{2}x_3, x_1^2, x_2^2, x_3^2, \sqrt{2}x_1x_2, \sqrt{2}x_1x_3, \sqrt{2}x_2x_3]^T",
    "[1, -√2x1, -√2x2, -√2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², -√2x1x2, -√2x1x3, -√2x2x3]",
    "(1, √2 x1, √2 x2, √2 x3, x1^2, x2^2, x3^2, √2 x1 x2, √2 x1 x3, √2 x2 x3)",
    r"\begin{bmatrix} 1 \\ \sqrt{2}x_1 \\ \sqrt{2}x_2 \\ \sqrt{2}x_3 \\ x_1^2 \\ x_2^2 \\ x_3^2 \\ \sqrt{2}x_1x_2 \\ \sqrt{2}x_1x_3 \\ \sqrt{2}x_2x_3 \end{bmatrix}",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x2x1, √2x3x1, √2x3x2]",
    "[1, 1.41421356*x1, 1.41421356*x2, 1.41421356*x3, x1^2, x2^2, x3^2, 1.41421356*x1*x2, 1.41421356*x1*x3, 1.41421356*x2*x3]",
    r"[1,\ \sqrt{2}x_{1},\ \sqrt{2}x_{2},\ \sqrt{2}x_{3},\ x_{1}^{2},\ x_{2}^{2},\ x_{3}^{2},\ \sqrt{2}x_{1}x_{2},\ \sqrt{2}x_{1}x_{3},\ \sqrt{2}x_{2}x_{3}]",
    "[1, x1*sqrt(2), x2*sqrt(2), x3*sqrt(2), x1**2, x2**2, x3**2, x1*x2*sqrt(2), x1*x3*sqrt(2), x2*x3*sqrt(2)]",
    "[1, √2·x1, √2·x2, √2·x3, x1², x2², x3², √2·x1·x2, √2·x1·x3, √2·x2·x3]",
    # orthogonal remix: (x1^2 + x2^2)/√2, (x1^2 - x2^2)/√2
    "[1, √2x1, √2x2, √2x3, (x1² + x2²)/√2, (x1² - x2²)/√2, x3², √2x1x2, √2x1x3, √2x2x3]",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3, 0]",
    r"\phi(x) = (1, \sqrt{2}\,x_1, \sqrt{2}\,x_2, \sqrt{2}\,x_3, x_1^2, x_2^2, x_3^2, \sqrt{2}\,x_1 x_2, \sqrt{2}\,x_1 x_3, \sqrt{2}\,x_2 x_3)",
    "[1, √(2)x1, √(2)x2, √(2)x3, x1², x2², x3², √(2)x1x2, √(2)x1x3, √(2)x2x3]",
    "[1, 2^(1/2) x1, 2^(1/2) x2, 2^(1/2) x3, x1^2, x2^2, x3^2, 2^(1/2) x1 x2, 2^(1/2) x1 x3, 2^(1/2) x2 x3]",
)
add("q6.b.ii", I,
    "[1, x1, x2, x3, x1^2, x2^2, x3^2, x1 x2, x1 x3, x2 x3]",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3²]",
    "[x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², x1x2, x1x3, x2x3]",
    "[1, x1, x2, x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]",
    "[1, 2x1, 2x2, 2x3, x1², x2², x3², 2x1x2, 2x1x3, 2x2x3]",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3, √2x2x1]",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3]",
    "[1, √2x1, √2x2, √2x3, √2x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]",
    "[x1, x2, x3]",
    
)
# ---------------- q6.c.time ----------------
add("q6.c.time", C, "O(N^2(D+M))", r"O(N^2 \max(D, M))", "O(N²D + N²M)", "O(N^2 D) assuming M ≈ D", "O(N^2 D + N^2 M)", r"\mathcal{O}(N^2(D+M))",
    "O(N^2 max(D,M))", r"O(N^2 \cdot \max(D, M))", "Θ(N²(D + M))", "O(N²D), assuming M ≈ D", "O(N^2 D) since M = D", "O(N^2 M + N^2 D)",
    "O(N^2 D + N^2 M + N^2)", r"$O(N^{2}(D+M))$", r"O\left(N^2 (D + M)\right)", "O(N²(D+M)) time",
    "Computing QK^T costs O(N^2 D) and multiplying by V costs O(N^2 M), so O(N^2(D+M)) in total.",
    "O(N^2 D) where M ~ D", "O(N^2 M) assuming D ≈ M")
add("q6.c.time", P, "O(N^2 D)", "O(N²D)", "O(N^2 M)", r"\mathcal{O}(N^2 D)")
add("q6.c.time", I, "O(N^2)", "O(N D M)", "O(N D^2)", "O(N^2 D M)", "O(N^3)", "O(N D + N M)", "O(N^2 D^2)", "O(N^2 D) assuming M ≈ N")
# ---------------- q6.c.space ----------------
add("q6.c.space", C, "O(N^2 + N(D+M))", "O(N^2 + ND + NM)", "O(N^2 + N D) assuming M ≈ D", "O(N² + ND + NM)", r"\mathcal{O}(N^2 + N(D + M))",
    "O(N^2 + N max(D, M))", r"O\left(N^2 + ND + NM\right)", "O(N(N + D + M))", "Θ(N² + N(D+M))", "O(N^2 + 2ND + NM)")
add("q6.c.space", P, "O(N^2)", "O(N²)")
add("q6.c.space", I, "O(ND)", "O(N^2 D)", "O(N + D + M)", "O(ND + NM)", "O(N^2 M)", "O(D^2 + N D)", "O(N^2 + D^2)")
# ---------------- q6.d.time ----------------
add("q6.d.time", C, "O(N D^2 M)", "O(N D^3)", "O(ND^3)", "O(N C M)", "O(ND³)", r"\mathcal{O}(ND^3)", "O(ND^2M) = O(ND^3)", "O(N D^2 M) where C = D^2",
    "O(NCM) with C = O(D^2)", "O(N D^2 D)", "Θ(N D³)", "O(NCD)", "O(N D^3 + N D^2)")
add("q6.d.time", I, "O(N D^2)", "O(N^2 D)", "O(N D)", "O(N^2 D^2)", "O(N D^4)", "O(D^3)", "O(N^2 D^3)", "O(N C)", "O(N M)")
# ---------------- q6.d.space ----------------
add("q6.d.space", C, "O(ND + D^3)", "O(N D^2 + D^3)", "O(ND + D^2 M)", "O(ND + D³)", "O(ND + CM)", "O(N D + C D)", "O(ND^2 + D^3)",
    "O(ND + D^3) when φ is applied on the fly", "O(NC + CM)", r"\mathcal{O}(ND^2 + D^3)", "O(N(D+M) + D^2 M)")
add("q6.d.space", I, "O(N D^2)", "O(N^2)", "O(D^3)", "O(N^2 D)", "O(ND)", "O(N D^3)", "O(N^2 + D^3)", "O(NC)")
# ---------------- q3 tokens ----------------
for p in ("q3.a.a", "q3.a.b", "q3.a.c"):
    add(p, C, "d_model", "self.d_model", "num_heads * self.d_k", "self.d_k * num_heads", "`d_model`", "self.num_heads * self.d_k", "d_model ", "(d_model)", "self.d_k*self.num_heads")
    add(p, I, "d_k", "self.d_k", "num_heads", "2 * d_model", "d_model // num_heads", "self.num_heads")
add("q3.a.d", C, "Q", "`Q`", " Q ")
add("q3.a.d", I, "K", "V", "q", "Q.T", "K.transpose(-2,-1)")
add("q3.a.e", C, "softmax", "torch.softmax", "nn.functional.softmax", "torch.nn.functional.softmax", "`softmax`", "special.softmax")
add("q3.a.e", I, "argmax", "sigmoid", "log_softmax", "torch.argmax", "relu", "exp", "F.softmax")
add("q3.a.f", C, "V", "`V`")
add("q3.a.f", I, "K", "Q", "v", "V.T")
add("q3.a.g", C, "self.num_heads", "-1", "self.d_model // self.d_k", "d_model // self.d_k", "`self.num_heads`")
add("q3.a.g", I, "num_heads", "self.d_k", "d_model", "self.d_model", "d_model / self.d_k", "self.num_heads * 2", "1")
add("q3.a.h", C, "W_o", "self.W_o", "`W_o`")
add("q3.a.h", I, "W_v", "W_q", "W_k", "softmax", "self.W_v")
# ---------- round 2 ----------
add("q1.a", C, "||mu||_2^2", r"||\mu||^2", "||μ||²", r"\left\| \mu \right\|_2^2", "sum(mu_i^2)", "Σ μ_i²", r"\sum_{i=1}^{d} \mu^2", r"\sum_{i=1}^d \mu_i \mu_i",
    r"\mathbb{E}[q^\top k] = \sum_{i=1}^{d} \mathbb{E}[q_i]\mathbb{E}[k_i] = \sum_i \mu_i^2", r"E[q^T k] = \sum_i E[q_i k_i] = \|\mu\|^2",
    r"\mathrm{E}[q^{T}k] = \mu^{T}\mu", r"\|\mu\|_2^2.", r"\mu^T\mu \text{ (or } d\mu^2 \text{ for scalar } \mu)", "μ·μ", r"\mathbf{\mu}\cdot\mathbf{\mu}", "‖μ‖^2")
add("q1.a", I, r"d\|\mu\|^2", "d μᵀμ", r"d \sum_i \mu_i^2", r"\|\mu\|^2 + d", r"\mu^T\mu + d\sigma^2", r"\|\mu\|^4", "||mu||", "2 mu^T mu", r"\frac{\|\mu\|^2}{\sigma^2}")
add("q1.b", I, "d + mu", "d(1 + mu^2)", r"d\sigma^2", "d + 1")
add("q1.b", C, r"d\sigma^4 + 2d\sigma^2\mu^2", "d σ⁴ + 2 d σ² μ²")
add("q1.c", C, r"\sqrt{d_k}", r"s = \sqrt{d} \text{ since } \mathrm{Var}(q^\top k) = d", r"s = \sqrt{d}\text{, since Var}(q^Tk)=d", r"s=\sqrt{d}, \quad \text{because } \mathrm{Var}(q^\top k / s) = d/s^2 = 1",
    "s = √d since Var(qᵀk/s) = d/s² = 1", r"s = d^{1/2}", r"\sqrt{d}.", "√d.")
add("q1.c", P, "s = ±√d", "s = \u00b1\\sqrt{d}", r"s = \pm\sqrt{d}, but s must be positive? not sure")
add("q2.a", C, "v2", "v_2", "$v_2$", r"\mathbf{v}_2", "[[1],[4],[3]]", "np.array([1, 4, 3])", "[1 4 3]^T", "The output is [1, 4, 3].", "[1,4,3].", "⟨1, 4, 3⟩", r"\langle 1, 4, 3 \rangle", r"\begin{bmatrix}1 & 4 & 3\end{bmatrix}", "(1,4,3)ᵀ")
add("q2.a", I, "v1", "v_3", "k2", "[0, 3, 4]^T", r"\begin{bmatrix}2\\0\\1\end{bmatrix}", "[1, 4, 3] + [2, 0, 1]")
add("q2.b", NR + "|" + I,
    "The gradient vanishes for the values, so the value projection W_V can't be learned, but the queries and keys are fine.",
    "Argmax has zero gradient almost everywhere, so the output projection W_O cannot be trained.",
    "The gradient is zero so the value vectors cannot be learned.",
    "Argmax is fine: the keys and queries are not affected, only the values get zero gradient.",
)
add("q2.b", C,
    "argmax isn't differentiable (its gradient is 0 a.e.), so the keys/queries never receive a learning signal.",
    "Since argmax is a hard, discrete choice, small changes in the scores don't change the output: the derivative w.r.t. the scores is zero. W_Q and W_K therefore get no gradient and can't be learned by gradient descent.",
    "No gradients flow through argmax to the query/key parameters, so they are never updated; softmax provides a differentiable approximation.",
    "Backpropagation breaks: the gradient with respect to the attention logits is zero everywhere except at ties where it is undefined, so W_q and W_k receive zero gradient and cannot learn.",
)
add("q6.a", NR + "|" + I,
    "sim must be a positive definite kernel",
    "sim(q,k) should be positive definite",
    "sim must be a positive-definite kernel function.",
    "sim(q, k) \\neq 0 for all q, k",
    "sim must never be zero.",
    "sim(q,k) ≥ 0 so the denominator is positive",
    "sim must be symmetric and positive semidefinite.",
    "The kernel matrix must be positive semi-definite.",
)
add("q6.a", C,
    "The denominator must be nonzero, i.e. sum over j of sim(Q_i, K_j) must not be 0.",
    r"$\sum_{j=1}^{N} \mathrm{sim}(Q_i, K_j) > 0$ for all $i$",
    "sim(q, k) must be strictly positive for all inputs (e.g. exp(q^T k / sqrt(D))), so the denominator is never zero.",
    "We need sim(x, y) > 0 for any x, y.",
    "A sufficient condition is that sim is a positive function: sim(q,k) > 0.",
    "the normalising sum must be different from zero",
    "sum_j sim(Q_i,K_j) ≠ 0",
)
add("q4.a", C, "[num_heads, d, q]", "[h, d_model, d/h]", "(h, d, d//h)", r"h \times d \times q", r"\mathbb{R}^{h \times d \times k}", "R^{h x d x q}", "[h][d][q]", "[ h , d , q ]")
add("q4.b", C, r"\mathbb{R}^{d\times k}, shared across heads", "[d, d//h]", "d×k.", r"d \times k")
add("q4.f", C, "O(bnd + bd^2) = O(bd(n + d))", r"O(bd^2 + bnd) \text{ (same as MHA)}", "O(bd^2 + bnd) where k = d/h", "O(bd^2 + bnd) FLOPs, same as multi-head attention.",
    r"\mathcal O(bd^2 + bnd)", r"O(b d^2 + b n h \cdot \frac{d}{h})", "Compute: O(bd^2 + bnd)", "Θ(b·d² + b·n·d)", "O(b·d² + b·n·d)", "O(bd^2 + bnd).")
add("q4.g", C, "O(d^2 + bd + bnd/h), where k = d/h", "O(d^2 + bd + bnk) where k = d/h", r"O(d^2 + bd + \frac{bnd}{h}) = O(d^2 + bd + bnk)",
    "Memory is O(d² + bd + bnd/h), a factor h less KV cache than MHA.", "O(d^2 + b d + b n d / h) memory accesses", r"\Theta\left(d^2 + bd + \frac{bnd}{h}\right)")
add("q6.c.time", C, "O(N^2 D + N^2 M) = O(N^2(D+M))", "O(N^2(D+M)), from QK^T (N^2 D) and the product with V (N^2 M)", "O(N²·(D+M))", r"O(N^2 \cdot (D + M))")
add("q6.c.space", C, "O(N^2 + N(D+M)) since we store the N×N attention matrix and Q, K, V")
add("q6.d.time", C, "O(ND^2M) = O(ND^3)", "O(ND^3) assuming M ≈ D", "O(N D^2 M), i.e. O(N D^3) when M ≈ D", "O(N·D²·M)", "O(ND²M)")
add("q6.d.space", C, "O(ND + D^3) if phi is computed on the fly, O(ND^2 + D^3) if we store phi(Q), phi(K)", "O(ND² + D³)", r"\mathcal{O}(ND + D^3)")
add("q6.b.i", C, r"(q^T k + 1)^2, i.e. the degree-2 polynomial kernel with c = 1", "sim(q,k) = (1 + q·k)^2", r"\left(1 + \mathbf{q}^\top\mathbf{k}\right)^2", "(qᵀk+1)^2.", r"(q^{\top}k+1)^{2}")
add("q6.b.ii", C,
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, -√2x1x3, √2x2x3]",
    "phi(x) = (1, √2 x_1, √2 x_2, √2 x_3, x_1², x_2², x_3², √2 x_1 x_2, √2 x_1 x_3, √2 x_2 x_3)",
    r"[x_1^2, x_2^2, x_3^2, \sqrt{2}x_1x_2, \sqrt{2}x_1x_3, \sqrt{2}x_2x_3, \sqrt{2}x_1, \sqrt{2}x_2, \sqrt{2}x_3, 1]^\top",
    "[1, √2 x1, √2 x2, √2 x3, x1^2, x2^2, x3^2, √2 x1 x2, √2 x1 x3, √2 x2 x3]",
    r"\left[1, \sqrt{2}x_1, \sqrt{2}x_2, \sqrt{2}x_3, x_1^2, x_2^2, x_3^2, \sqrt{2}x_1x_2, \sqrt{2}x_1x_3, \sqrt{2}x_2x_3\right]",
)
# ---------- round 3 ----------
add("q6.c.time", I, "O(N^2 D) where M = D^2", "O(N^2 D) assuming M = N", "O(N^2 D) assuming M ≈ N^2")
add("q6.c.time", C, "O(N^2 D) assuming M ≤ D", "O(N^2 D) assuming M << D", "O(N^2 D) as long as M = O(D)")
add("q6.c.space", I, "O(N^2 + ND) where M = N^2")
add("q1.a", I, r"\mu\mu^T", r"\mu \mu^\top", "μμᵀ", r"\mu^T\mu\sigma^2", r"\|\mu\|^2\sigma")
add("q1.a", C, r"\operatorname{tr}(\mu\mu^\top)", r"\mu_1^2 + \mu_2^2 + \dots + \mu_d^2", "mu_1^2 + ... + mu_d^2")
add("q2.a", I, "[1, 4, 3.01]", "[1, 4, 3, 3]")
add("q6.b.ii", I, "[√2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3]", "[1, √2x1, √2x2, √2x3, x1², x2², x3², √2x1x2, √2x1x3, √2x2x3, 1]",
    "[1, √2x1, √2x2, √2x3, x1², x2², x3², 2x1x2, 2x1x3, 2x2x3]", "[1, √2x1, √2x2, √2x3, √2x1², √2x2², √2x3², √2x1x2, √2x1x3, √2x2x3]")
add("q4.f", I, "O(bd^2) + O(bnd^2)", "O(bd^2 + bnd) where n = 1", "O(bd^2 + bnd/h) = O(bd^2 + bnk)")
add("q4.g", I, "O(d^2 + bd + bnk) where k = d", "O(d^2 + bd + bnd) where k = d/h")
add("q6.d.time", I, "O(N D^2) where C = D", "O(NCM) with C = O(D)")
add("q6.a", C, "sim(q,k) = exp(q^T k/√D) > 0, so the denominator never vanishes", "sim must map to positive reals, sim: R^D x R^D -> (0, inf)")
add("q1.c", I, r"s = d \text{ since } \mathrm{Var}(q^\top k) = \sqrt{d}", "s = 1/√d, because then Var = 1")
add("q1.a", I, r"E[q^T k] = \|\mu\|^2 + d\sigma^2", r"\mathbb{E}[q^\top k] = d\mu")
