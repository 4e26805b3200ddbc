"""Normalizing flows: RealNVP affine couplings with an exact log-determinant, and a maximum-likelihood loop.

Direction convention: ``forward`` maps data x to base-space z (the density direction) and returns the
log-determinant of dz/dx; ``inverse`` maps z back to x (the sampling direction). The base
distribution is N(0, I), so

    log p(x) = log N(f(x); 0, I) + log |det df/dx|.

Randomness (the fixed rotations and reflections a flow starts from, shuffling, jitter, samples) comes from a
``seed`` argument (an int, a ``torch.Generator`` or ``None``), never from torch's global generator.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import _training as tr
from ._flow_layers import AffineCoupling, InvertibleLinear, _reflect
from ._validation import check_choice, check_positive_float, check_positive_int

__all__ = ["AffineCoupling", "InvertibleLinear", "RealNVP", "train_flow", "FlowHistory",
           "standard_normal_log_prob"]

_LOG_2PI = math.log(2.0 * math.pi)


def standard_normal_log_prob(z):
    """log N(z; 0, I) summed over the last dimension: (B, d) -> (B,).

    Examples
    --------
    >>> round(float(standard_normal_log_prob(torch.zeros(1, 2))), 4)  # -log(2 pi)
    -1.8379
    """
    return -0.5 * (z.pow(2) + _LOG_2PI).sum(-1)  # (B,)


class RealNVP(nn.Module):
    """A RealNVP flow: a learned elementwise affine map followed by ``n_layers`` affine couplings.

    Successive couplings alternate their masks (even / odd coordinates), so every coordinate is
    transformed. The elementwise map starts at the identity and learns the data's location and scale.
    ``mixing="alternate"`` (the default) is the plain alternating-mask RealNVP. With
    ``mixing="reflection"`` a fixed random Householder reflection precedes every coupling but the
    first, so that the couplings split the space along other directions (in the spirit of the fixed
    permutations of Glow); it has log-determinant 0. With ``mixing="lu"`` a *learned* invertible linear
    map (:class:`InvertibleLinear`, Glow's 1x1 convolution) precedes every coupling but the first; its
    log-determinant is exact. For d = 2 this is what lets the couplings follow curved data: alternating
    masks only ever split along the axes. The learned maps start as random rotations, or, for d = 2, all
    as the rotation by ``init_rotation`` degrees. ``benchmarks/NOTES_deep.md`` records two-moons
    settings (``mixing="lu"``) that beat a BIC-chosen Gaussian mixture, and how "reflection" fared.

    Parameters
    ----------
    dim : int
        d, the number of data dimensions (at least 2).
    n_layers : int
        Number of coupling layers.
    hidden_dim : int
        Width of each coupling network.
    mixing : {"alternate", "reflection", "lu"}
        What happens between couplings (see above).
    seed : int, torch.Generator or None
        Draws the reflections and the rotations the learned maps start from (unused for
        ``"alternate"``): the same int gives the same ones; ``None``, unpredictable ones. The networks'
        weights are initialised by torch as usual (seed them with ``torch.manual_seed``).
    init_rotation : float, optional
        Only for ``mixing="lu"`` and d = 2: start every learned map at the rotation by this angle, in
        degrees, instead of a random rotation. With 60, successive couplings split the plane along
        directions 60 degrees apart, so every three couplings see three evenly spread directions;
        random rotations can leave several of them nearly parallel, and short training then depends
        much more on the seed (see ``benchmarks/NOTES_deep.md``).

    Raises
    ------
    ValueError
        For ``dim`` < 2, an unknown ``mixing``, or ``init_rotation`` without ``mixing="lu"`` and d = 2.

    Examples
    --------
    >>> flow = RealNVP(2, n_layers=4)
    >>> z, log_det = flow(torch.randn(5, 2))  # (5, 2), (5,)
    >>> flow.log_prob(torch.randn(5, 2)).shape
    torch.Size([5])
    """

    def __init__(self, dim: int, n_layers: int = 8, hidden_dim: int = 64, mixing: str = "alternate", *,
                 seed=None, init_rotation: float | None = None):
        super().__init__()
        self.dim = check_positive_int(dim, "dim", minimum=2)
        n_layers = check_positive_int(n_layers, "n_layers")
        self.mixing = check_choice(mixing, "mixing", ("reflection", "alternate", "lu"))
        g = tr.make_generator(seed)
        normals = torch.randn(n_layers, self.dim, generator=g)  # (n_layers, d)
        normals[0] = 0.0  # no mixing before the first coupling; a zero normal means the identity
        if mixing != "reflection":
            normals.zero_()
        self.register_buffer("normals", normals.to(torch.get_default_dtype()))
        # mixing="lu": a learned invertible linear map before every coupling but the first
        rotation = _rotation(init_rotation, self)  # None: random rotations drawn from g
        self.mixers = nn.ModuleList(InvertibleLinear(self.dim, seed=g, init=rotation)
                                    for _ in range(n_layers - 1 if mixing == "lu" else 0))
        even = (torch.arange(self.dim) % 2 == 0).to(torch.get_default_dtype())  # (d,)
        self.layers = nn.ModuleList(
            AffineCoupling(self.dim, even if i % 2 == 0 else 1.0 - even, hidden_dim) for i in range(n_layers))
        self.loc = nn.Parameter(torch.zeros(self.dim))  # (d,)
        self.log_scale = nn.Parameter(torch.zeros(self.dim))  # (d,)

    def forward(self, x):
        """Map data to the base space: x (B, d) -> (z (B, d), log_det (B,)), log_det = log|det dz/dx|."""
        z = (x - self.loc) * torch.exp(-self.log_scale)  # (B, d)
        log_det = (-self.log_scale.sum()).expand(x.shape[0])  # (B,)
        for i, (layer, v) in enumerate(zip(self.layers, self.normals)):
            if self.mixers and i > 0:
                z, ld = self.mixers[i - 1](z)  # (B, d), (B,)
                log_det = log_det + ld
            else:
                z = _reflect(z, v)  # a reflection has |det| = 1
            z, ld = layer(z)
            log_det = log_det + ld
        return z, log_det

    def inverse(self, z):
        """Map base-space points back to data: z (B, d) -> x (B, d)."""
        x = z
        for i in reversed(range(len(self.layers))):
            x = self.layers[i].inverse(x)  # (B, d)
            if self.mixers and i > 0:
                x = self.mixers[i - 1].inverse(x)
            else:
                x = _reflect(x, self.normals[i])  # a reflection is its own inverse
        return x * torch.exp(self.log_scale) + self.loc  # (B, d)

    def log_prob(self, x):
        """Exact log-density of each row of x (B, d), in nats: shape (B,)."""
        z, log_det = self(x)
        return standard_normal_log_prob(z) + log_det  # (B,)

    @torch.no_grad()
    def sample(self, n: int, *, seed=None):
        """Draw ``n`` samples (n, d): z ~ N(0, I) (noise from ``seed``) pushed through :meth:`inverse`."""
        n = check_positive_int(n, "n")
        z = tr.randn((n, self.dim), tr.make_generator(seed), self.loc)  # (n, d)
        return self.inverse(z)  # (n, d)


def _rotation(degrees, flow: RealNVP):
    """The (2, 2) rotation by ``degrees`` that ``init_rotation`` asks for, or ``None`` (random rotations)."""
    if degrees is None:
        return None
    if flow.mixing != "lu" or flow.dim != 2:
        raise ValueError(f"init_rotation needs mixing='lu' and dim=2 (got mixing={flow.mixing!r}, "
                         f"dim={flow.dim}); leave it None for random rotations")
    if isinstance(degrees, bool) or not isinstance(degrees, (int, float)) or not math.isfinite(degrees):
        raise ValueError(f"init_rotation must be a finite angle in degrees (got {degrees!r})")
    a = math.radians(degrees)
    return [[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]


class FlowHistory(tr.TrainingHistory):
    """What :func:`train_flow` records, one row per epoch (a ``TrainingHistory``).

    ``loss``: the mean negative log-likelihood per point over the epoch's mini-batches (with the jitter,
    if any), in nats; ``val_loss``: the same on ``validation`` after the epoch (only with validation
    data); ``lr``: the learning rate at the start of the epoch; ``epoch`` and ``seconds``.
    """


def train_flow(flow: RealNVP, data, *, epochs: int, batch_size: int = 256, lr: float = 2e-3,
               weight_decay: float = 0.0, schedule: str = "cosine", validation=None, device=None,
               progress: bool = True, seed=None, noise_std: float = 0.0, max_grad_norm: float = 100.0,
               init_from_data: bool = False) -> FlowHistory:
    """Fit a flow by maximum likelihood (minimise the mean NLL per point) with Adam.

    Parameters
    ----------
    flow : RealNVP
        Trained in place; left in eval mode.
    data : array or tensor (N, d) of any float dtype, or DataLoader
        Training data, cast to the flow's dtype and device.
    epochs, batch_size : int
        Passes over the data and mini-batch size (``batch_size`` is ignored for a DataLoader).
    lr : float
        Initial Adam learning rate.
    weight_decay : float
        Adam's L2 penalty.
    schedule : {"cosine", "constant"}
        ``"cosine"`` anneals the learning rate to 0 over the run (sharper fits for the same time).
    validation : array, tensor (M, d) or DataLoader, optional
        Scored after every epoch.
    device : str or torch.device, optional
        ``None`` follows the flow's parameters; otherwise the flow is moved there.
    progress : bool
        Show a progress bar.
    seed : int, torch.Generator or None
        Randomness for shuffling and for the jitter. ``None``: unpredictable.
    noise_std : float
        Standard deviation of Gaussian noise added to every training batch (0: none). A little
        (about 0.4 times the data's own noise) keeps the flow from fitting the training points' noise.
    max_grad_norm : float
        Gradients are clipped to this total norm; lower it (e.g. 5) when training with a high ``lr``.
    init_from_data : bool
        Start the flow's elementwise map at the data's mean and standard deviation (the couplings then
        see standardised inputs from the first step).

    Returns
    -------
    FlowHistory
        Per-epoch ``loss`` (and ``val_loss``): NLL per point, in nats.

    Raises
    ------
    ValueError
        For non-positive ``epochs``/``batch_size``/``lr``/``max_grad_norm``, negative ``noise_std``,
        data with the wrong number of columns, NaN in the data, or a diverged run.

    See Also
    --------
    course_utils.vae.train_vae, course_utils.gan.train_gan : the other trainers, with the same API.

    Examples
    --------
    >>> X = torch.randn(64, 2, generator=torch.Generator().manual_seed(0)).double()  # float64 is fine
    >>> history = train_flow(RealNVP(2, n_layers=2, hidden_dim=8), X, epochs=2, progress=False, seed=0)
    >>> list(history)
    ['epoch', 'loss', 'lr', 'seconds']
    """
    if not isinstance(flow, RealNVP):
        raise TypeError(f"flow must be a course_utils.flows.RealNVP (got {type(flow).__name__})")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_float(lr, "lr")
    weight_decay = check_positive_float(weight_decay, "weight_decay", allow_zero=True)
    noise_std = check_positive_float(noise_std, "noise_std", allow_zero=True)
    max_grad_norm = check_positive_float(max_grad_norm, "max_grad_norm")
    check_choice(schedule, "schedule", tr.LR_SCHEDULES)
    tr.resolve_device(flow, device)
    data = tr.prepare_data(data, flow, "data", last_dim=flow.dim)
    if validation is not None:
        validation = tr.prepare_data(validation, flow, "validation", last_dim=flow.dim)
    g = tr.make_generator(seed)
    if init_from_data:
        _init_from_data(flow, data)
    # the fused Adam kernel updates all the small tensors at once (~15% faster per step on a CPU)
    p = flow.loc
    fused = p.device.type in ("cpu", "cuda") and p.dtype in (torch.float32, torch.float64)
    optimizer = torch.optim.Adam(flow.parameters(), lr=lr, weight_decay=weight_decay, fused=fused or None)

    def loss_terms(x):
        if flow.training and noise_std > 0:  # jitter on training batches only, against overfitting
            x = x + noise_std * tr.randn(x.shape, g, x)  # (b, d)
        return {"loss": -flow.log_prob(x)}  # (b,) NLL per point

    return tr.fit_epochs(flow, data, loss_terms, FlowHistory(), optimizer=optimizer, epochs=epochs,
                         batch_size=batch_size, lr=lr, schedule=schedule, generator=g, validation=validation,
                         max_grad_norm=max_grad_norm, log_lr=True, progress=progress, desc="train_flow",
                         hint="lower lr or standardise the data")


@torch.no_grad()
def _init_from_data(flow: RealNVP, data) -> None:
    """Set the elementwise map to the data's mean and standard deviation (one pass over a DataLoader)."""
    if isinstance(data, torch.Tensor):
        mean, std = data.mean(0), data.std(0)  # (d,), (d,)
    else:  # running sums over the loader's batches
        n, s, ss = 0, 0.0, 0.0
        for x in data:
            n, s, ss = n + x.shape[0], s + x.sum(0), ss + x.pow(2).sum(0)
        mean = s / n  # (d,)
        std = ((ss - n * mean.pow(2)) / max(n - 1, 1)).clamp_min(0).sqrt()  # (d,)
    flow.loc.copy_(mean)
    flow.log_scale.copy_(std.clamp_min(1e-6).log())
