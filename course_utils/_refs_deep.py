"""Exercise references for notebooks 08-10 (VAEs, GANs, training and flows).

Use them as ``cu.exercises.<name>``: :mod:`course_utils.exercises` re-exports everything listed in
``__all__`` and documents the conventions. Torch is imported inside each function, so importing
``course_utils.exercises`` stays free of torch until a deep exercise is checked.

Case builders that need seeded network weights (:func:`gan_step_case`,
:func:`random_coupling_conditioner`) seed torch's CPU generator inside ``torch.random.fork_rng``: the
weights are those of ``torch.manual_seed(seed)`` followed by the constructor, and the caller's global
random state is left as it was.
"""

from __future__ import annotations

import dataclasses
import functools

__all__ = ["reference_reparameterize", "compare_differentiable", "reference_bernoulli_elbo", "with_weights", "gan_step_case",
           "loss_case", "compare_scalar_loss",
           "reference_affine_flow_log_prob", "random_coupling_conditioner", "reference_coupling_forward"]


# --- 08 · Variational autoencoders ------------------------------------------------------------------

def reference_reparameterize(mu, logvar, eps):
    r"""The reparameterisation :math:`z = \mu + \sigma \odot \varepsilon` for given noise.

    :func:`course_utils.vae.reparameterize` draws its own noise; this applies the same formula to ``eps``.

    Parameters
    ----------
    mu, logvar : torch.Tensor, shape (B, L)
        Mean and log-variance :math:`\log\sigma^2` of q(z | x).
    eps : torch.Tensor, shape (B, L)
        Standard normal noise.

    Returns
    -------
    torch.Tensor, shape (B, L)
        :math:`\mu + e^{\log\sigma^2 / 2}\,\varepsilon`, differentiable in ``mu`` and ``logvar``.

    Examples
    --------
    >>> import torch
    >>> reference_reparameterize(torch.zeros(1, 2), torch.full((1, 2), 1.3862944), torch.ones(1, 2))
    tensor([[2., 2.]])
    """
    import torch

    return torch.addcmul(mu, logvar.mul(0.5).exp(), eps)  # (B, L) mu + sigma * eps


def reference_bernoulli_elbo(x, logits, mu, logvar):
    r"""Per-sample ELBO of a Bernoulli VAE: :func:`course_utils.vae.elbo` with ``likelihood="bernoulli"``.

    Parameters
    ----------
    x : torch.Tensor, shape (B, D)
        Binary data.
    logits : torch.Tensor, shape (B, D)
        The decoder's Bernoulli logits for one sample z ~ q(z | x).
    mu, logvar : torch.Tensor, shape (B, L)
        The encoder's output.

    Returns
    -------
    torch.Tensor, shape (B,)
        :math:`\log p(x \mid z) - D_{\mathrm{KL}}(q \,\|\, \mathcal N(0, I))` in nats, the first term summed
        over the D pixels and the KL over the L latent dimensions (β = 1); not averaged over the batch.

    Examples
    --------
    >>> import torch
    >>> x, logits = torch.ones(1, 3), torch.zeros(1, 3)  # three pixels at probability 1/2
    >>> reference_bernoulli_elbo(x, logits, torch.zeros(1, 2), torch.zeros(1, 2))  # 3 log(1/2) - a KL of 0
    tensor([-2.0794])
    """
    from . import vae

    return vae.elbo(x, logits, mu, logvar, likelihood="bernoulli").elbo


def compare_differentiable(expected, got, *, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """``compare_fn`` for a result that must carry gradients: where the reference's does (its inputs
    require grad), the student's must too; then :func:`course_utils.exercises.compare` with the tolerances."""
    from ._checker import compare

    if getattr(expected, "requires_grad", False) and not getattr(got, "requires_grad", False):
        return ("result carries no gradient back to the inputs (it was detached, or made with NumPy or "
                "torch.tensor): keep it a torch expression of the inputs, so that gradients reach them")
    return compare(expected, got, rtol=rtol, atol=atol)


# --- 09 · Generative adversarial networks -----------------------------------------------------------

@dataclasses.dataclass(repr=False)
class GANStepResult:
    """What a step wrapped by :func:`with_weights` returns: its two losses and each network's weights after
    it. The fields name the parts in a failed check's message; it unpacks like the tuple
    ``(d_loss, g_loss, G_weights_after_step, D_weights_after_step)``."""

    d_loss: float
    g_loss: float
    G_weights_after_step: object  # torch.Tensor (P_G,), G's parameters flattened and concatenated
    D_weights_after_step: object  # torch.Tensor (P_D,)

    def _parts(self) -> tuple:
        return self.d_loss, self.g_loss, self.G_weights_after_step, self.D_weights_after_step

    def __iter__(self):
        return iter(self._parts())

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i):
        return self._parts()[i]

    def __repr__(self) -> str:
        n_g, n_d = self.G_weights_after_step.numel(), self.D_weights_after_step.numel()
        return (f"(d_loss={self.d_loss:.6g}, g_loss={self.g_loss:.6g}, G's weights: {n_g} values, "
                f"D's weights: {n_d} values)")


def with_weights(step):
    """Wrap a GAN training step so that it also returns the weights it leaves behind.

    Parameters
    ----------
    step : callable
        ``step(G, D, opt_g, opt_d, real, z) -> (d_loss, g_loss)``, two Python floats, e.g.
        :func:`course_utils.gan.alternating_step`.

    Returns
    -------
    callable
        ``run(G, D, opt_g, opt_d, real, z, rounds=1) -> GANStepResult``: calls ``step`` ``rounds`` times on
        the same batch (from the second round on, the networks carry the gradients the round before left
        in them, so a missing ``zero_grad`` shows) and returns the last losses and each network's
        parameters after the last round, flattened and concatenated. It keeps ``step``'s name, so a failed
        check names the function the notebook falls back to.

    Raises
    ------
    TypeError
        When ``step`` does not return two Python floats (``float``; a tensor needs ``.item()``).

    Examples
    --------
    >>> from course_utils import gan
    >>> out = with_weights(gan.alternating_step)(*gan_step_case(0, 8, "tiny").args)
    >>> len(out), tuple(out.G_weights_after_step.shape)  # G: 2 -> 16 -> 2: 2 * 16 + 16 + 16 * 2 + 2 weights
    (4, (82,))
    """
    import torch

    name = getattr(step, "__name__", "the step")

    @functools.wraps(step)
    def run(G, D, opt_g, opt_d, real, z, rounds=1):
        for _ in range(rounds):
            losses = step(G, D, opt_g, opt_d, real, z)
            if not (isinstance(losses, (tuple, list)) and len(losses) == 2
                    and all(isinstance(v, float) for v in losses)):
                items = losses if isinstance(losses, (tuple, list)) else None
                parts = "" if items is None else f" of ({', '.join(type(v).__name__ for v in items)})"
                raise TypeError(f"{name} must return (d_loss, g_loss) as two Python floats (a tensor's "
                                f".item() gives one); got a {type(losses).__name__}{parts}")
        flat = [torch.cat([p.detach().flatten() for p in net.parameters()]) for net in (G, D)]  # (P_G,), (P_D,)
        return GANStepResult(*losses, *flat)

    return run


def gan_step_case(seed, batch, label, lr=1e-2, rounds=1):
    """A check case for a GAN training step: fresh small networks, Adam optimisers, a real batch and noise.

    Parameters
    ----------
    seed : int
        Seeds the networks' weights (through torch's CPU generator, see the module notes), the ring
        sample and the noise.
    batch : int
        B, the batch size.
    label : str
        Names the case in messages.
    lr : float
        Adam's learning rate for both optimisers (betas (0.5, 0.999)).
    rounds : int
        For a step wrapped by :func:`with_weights`: how many times it runs on the batch (passed as the
        keyword ``rounds`` when it is not 1).

    Returns
    -------
    course_utils.exercises.Case
        Arguments ``(G, D, opt_g, opt_d, real (B, 2), z (B, 2))``: a 2-D ``cu.gan.Generator`` and
        ``cu.gan.Discriminator`` with one hidden layer of 16 units, and ``real`` from
        ``cu.datasets.ring_of_gaussians``.

    Examples
    --------
    >>> c = gan_step_case(0, 8, "tiny")
    >>> c.label, tuple(c.args[4].shape), tuple(c.args[5].shape)
    ('tiny', (8, 2), (8, 2))
    """
    import torch

    from . import datasets, gan
    from ._checker import case

    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # what torch.manual_seed(seed) does to the CPU generator
        G, D = gan.Generator(2, 2, hidden_dims=(16,)), gan.Discriminator(2, hidden_dims=(16,))
    opts = [torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999)) for net in (G, D)]
    gen = torch.Generator().manual_seed(seed)
    real = torch.tensor(datasets.ring_of_gaussians(batch, rng=seed).X, dtype=torch.float32)  # (batch, 2)
    z = torch.randn(batch, 2, generator=gen)  # (batch, 2)
    shown = [_shown(G, "G (2 -> 16 -> 2)"), _shown(D, "D (2 -> 16 -> 1)"),
             _shown(opts[0], f"opt_g (Adam, lr {lr:g})"), _shown(opts[1], f"opt_d (Adam, lr {lr:g})")]
    return case(*shown, real, z, label=label, **({} if rounds == 1 else {"rounds": rounds}))


def _shown(obj, text: str):
    """Give ``obj`` a one-line repr (through a subclass of its own class) so that a failed check's message
    names the networks and optimisers in a few words instead of printing their layers."""
    obj.__class__ = type(type(obj).__name__, (type(obj),), {"__repr__": lambda self: text})
    return obj


def loss_case(*logits, label: str, **kwargs):
    """A check case for a loss exercise whose tensor arguments are fresh leaves that require grad, so
    that :func:`compare_scalar_loss` can tell a differentiable loss from a number."""
    from ._checker import case

    return case(*(t.detach().clone().requires_grad_(True) for t in logits), label=label, **kwargs)


def compare_scalar_loss(expected, got, *, rtol: float = 1e-5, atol: float = 1e-6) -> str | None:
    """``compare_fn`` for a loss exercise (cases from :func:`loss_case`): ``got`` must be a 0-d torch tensor
    with a gradient back to the logits, as ``loss.backward()`` needs; then :func:`compare` with the tolerances.

    Examples
    --------
    >>> import torch
    >>> l = torch.zeros(2, requires_grad=True)
    >>> compare_scalar_loss(l.mean(), l.mean().item()).startswith("result should be a 0-d torch tensor")
    True
    """
    import torch

    from ._checker import compare

    if not isinstance(got, torch.Tensor):
        return (f"result should be a 0-d torch tensor that carries a gradient (got a {type(got).__name__}): "
                "return the loss tensor itself, not its .item() or float(); training calls loss.backward() on it")
    if got.dim() != 0:
        return f"result should be a 0-d tensor, one number for the batch (got shape {tuple(got.shape)})"
    if got.grad_fn is None:
        return ("result carries no gradient back to the model's outputs (it was detached, or rebuilt with NumPy or "
                "torch.tensor): compute it from them with torch operations only")
    return compare(expected, got, rtol=rtol, atol=atol)


# --- 10 · Training generative models ----------------------------------------------------------------

def reference_affine_flow_log_prob(x, a, b):
    r"""Log-density of the one-dimensional affine flow :math:`x = a z + b`, :math:`z \sim \mathcal N(0, 1)`.

    The flow's output is :math:`\mathcal N(b, a^2)`, so this asks ``torch.distributions.Normal``.

    Parameters
    ----------
    x : torch.Tensor, any shape
    a : float
        The scale, nonzero (may be negative).
    b : float
        The shift.

    Returns
    -------
    torch.Tensor, the shape of x
        :math:`\log\mathcal N\big((x - b)/a;\, 0, 1\big) - \log\lvert a\rvert`, elementwise, in nats.

    Examples
    --------
    >>> import torch
    >>> reference_affine_flow_log_prob(torch.tensor([1.0]), -2.0, 1.0)  # -log(2 pi) / 2 - log 2
    tensor([-1.6121])
    """
    import torch

    return torch.distributions.Normal(torch.tensor(float(b)), torch.tensor(abs(float(a)))).log_prob(x)


def random_coupling_conditioner(d, mask, seed):
    """The conditioner of a :class:`course_utils.flows.AffineCoupling` with a random, non-identity network.

    Parameters
    ----------
    d : int
        The number of dimensions.
    mask : sequence or tensor of 0/1, length d
        1 for the coordinates that pass through.
    seed : int
        Seeds the layer's weights (through torch's CPU generator, see the module notes); the last
        layer, which starts at zero, is redrawn from N(0, 0.5^2) so that s and t are not zero.

    Returns
    -------
    callable
        The layer's bound ``scale_shift``: ``conditioner(x_masked (B, d)) -> (s (B, d), t (B, d))``, both
        zero on the masked coordinates; ``conditioner.__self__`` is the layer (16 hidden units).

    Examples
    --------
    >>> import torch
    >>> s, t = random_coupling_conditioner(2, [1.0, 0.0], 0)(torch.ones(3, 2))
    >>> tuple(s.shape), float(s.detach()[:, 0].abs().max())
    ((3, 2), 0.0)
    """
    import torch

    from . import flows

    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # what torch.manual_seed(seed) does to the CPU generator
        layer = flows.AffineCoupling(d, mask, hidden_dim=16)
        torch.nn.init.normal_(layer.net[-1].weight, std=0.5)
        torch.nn.init.normal_(layer.net[-1].bias, std=0.5)
    return layer.scale_shift  # bound method: conditioner(x_masked) -> (s, t)


def reference_coupling_forward(x, mask, conditioner):
    r"""One affine coupling: run the :class:`course_utils.flows.AffineCoupling` that ``conditioner`` belongs to.

    Parameters
    ----------
    x : torch.Tensor, shape (B, d)
    mask : torch.Tensor, shape (d,)
        The layer's own mask (it is the one used).
    conditioner : bound method
        ``layer.scale_shift`` of an ``AffineCoupling``, e.g. from :func:`random_coupling_conditioner`.

    Returns
    -------
    z : torch.Tensor, shape (B, d)
        :math:`m \odot x + (1 - m) \odot (x \odot e^{s} + t)` with ``s, t = conditioner(m * x)``.
    log_det : torch.Tensor, shape (B,)
        :math:`\sum_j (1 - m_j)\, s_j`, the log-determinant of the Jacobian.

    Examples
    --------
    >>> import torch
    >>> z, log_det = reference_coupling_forward(torch.ones(3, 2), torch.tensor([1.0, 0.0]),
    ...                                         random_coupling_conditioner(2, [1.0, 0.0], 0))
    >>> tuple(z.shape), tuple(log_det.shape)
    ((3, 2), (3,))
    """
    return conditioner.__self__(x)
