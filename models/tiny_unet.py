"""Tiny noise-conditional U-Net with EDM preconditioning and a hand-written exact VJP.

onnxruntime has no autograd and exporting `torch.autograd.grad` fails (see
shared/notes/dps-gradient-in-onnx.md), so the gradient J_D(x)^T r that DPS needs is written
out as a second network of ordinary forward ops. Every layer therefore has a `forward_saving`
(forward that keeps what its backward needs) and a `backward` (input gradient only: weights
are constants for the sampler). Both are checked against autograd by models/test_export.py.

Layout: [N, 1, H, W] images in [0, 1], sigma [N] in the same units. H and W must be
multiples of 2**levels: the stride-2 backward (ConvTranspose) fixes its output padding at
export, so the app pads (src-main/models/padding.ts).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

# EDM's sigma_data. 0.5 is EDM's value for [-1, 1] images; it is kept for [0, 1] images by
# project convention: preconditioning lives inside the ONNX graph, so the samplers never see it.
SIGMA_DATA = 0.5
GN_EPS = 1e-5


def edm_coefficients(sigma, sigma_data=SIGMA_DATA):
    """c_skip, c_out, c_in, c_noise of Karras et al. 2022 (EDM), each shaped like sigma."""
    s2, d2 = sigma * sigma, sigma_data * sigma_data
    root = torch.sqrt(s2 + d2)
    return d2 / (s2 + d2), sigma * sigma_data / root, 1.0 / root, torch.log(sigma) / 4


def conv_input_grad(conv, g):
    """Adjoint of a 3x3 conv (padding 1) with respect to its input."""
    if conv.stride == (1, 1):
        # Correlation with the flipped kernel, in/out channels swapped: a plain Conv, which
        # onnxruntime's CPU EP runs faster than ConvTranspose. The flip/transpose of the weight
        # is exported as Slice/Transpose on an initializer; onnxruntime folds it at load.
        return F.conv2d(g, conv.weight.flip(2, 3).transpose(0, 1), padding=1)
    # Stride 2 on an even input: output_padding=1 restores the input size exactly.
    return F.conv_transpose2d(g, conv.weight, stride=2, padding=1, output_padding=1)


def group_norm_saving(h, groups):
    """GroupNorm without affine; returns xhat and 1/std per (sample, group)."""
    g = h.reshape(h.shape[0], groups, -1)
    mean = g.mean(-1, keepdim=True)
    centred = g - mean
    inv = torch.rsqrt((centred * centred).mean(-1, keepdim=True) + GN_EPS)
    return (centred * inv).reshape(h.shape), inv


def group_norm_input_grad(gxhat, xhat, inv, groups):
    """Closed-form GroupNorm backward: inv * (g - mean(g) - xhat * mean(g * xhat))."""
    n = gxhat.shape[0]
    g = gxhat.reshape(n, groups, -1)
    xg = xhat.reshape(n, groups, -1)
    gx = inv * (g - g.mean(-1, keepdim=True) - xg * (g * xg).mean(-1, keepdim=True))
    return gx.reshape(gxhat.shape)


class Block(nn.Module):
    """GroupNorm -> FiLM(sigma) -> SiLU -> 3x3 conv."""

    def __init__(self, cin, cout, emb_dim, groups):
        super().__init__()
        self.groups = groups
        self.film = nn.Linear(emb_dim, 2 * cin)
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)

    def _film(self, emb):
        scale, shift = self.film(emb).chunk(2, dim=1)
        return 1 + scale[:, :, None, None], shift[:, :, None, None]

    def forward(self, h, emb):
        # Fused GroupNorm (InstanceNormalization in ONNX) for the forward-only graph.
        scale, shift = self._film(emb)
        return self.conv(F.silu(F.group_norm(h, self.groups, eps=GN_EPS) * scale + shift))

    def forward_saving(self, h, emb):
        xhat, inv = group_norm_saving(h, self.groups)
        scale, shift = self._film(emb)
        z = xhat * scale + shift
        return self.conv(F.silu(z)), (xhat, inv, scale, z)

    def backward(self, g, cache):
        xhat, inv, scale, z = cache
        ga = conv_input_grad(self.conv, g)
        s = torch.sigmoid(z)
        gz = ga * s * (1 + z * (1 - s))  # d silu(z)/dz
        return group_norm_input_grad(gz * scale, xhat, inv, self.groups)


class TinyUNet(nn.Module):
    """The raw network F(c_in x, c_noise). levels = len(channels) - 1 stride-2 downsamplings."""

    def __init__(self, channels=(8, 16, 16), emb_dim=32, groups=4):
        super().__init__()
        self.channels = tuple(channels)
        self.levels = len(channels) - 1
        ch, L = self.channels, self.levels
        self.emb = nn.Sequential(nn.Linear(1, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim), nn.SiLU())
        self.conv_in = nn.Conv2d(1, ch[0], 3, padding=1)
        self.enc = nn.ModuleList(Block(ch[i], ch[i], emb_dim, groups) for i in range(L + 1))
        self.down = nn.ModuleList(nn.Conv2d(ch[i], ch[i + 1], 3, stride=2, padding=1) for i in range(L))
        self.up = nn.ModuleList(nn.Conv2d(ch[i + 1], ch[i], 3, padding=1) for i in range(L))
        self.dec = nn.ModuleList(Block(2 * ch[i], ch[i], emb_dim, groups) for i in range(L))
        self.out = Block(ch[0], 1, emb_dim, groups)

    def forward(self, xin, c_noise):
        emb = self.emb(c_noise[:, None])
        h, skips = self.conv_in(xin), []
        for i in range(self.levels + 1):
            h = self.enc[i](h, emb)
            if i < self.levels:
                skips.append(h)
                h = self.down[i](h)
        for i in reversed(range(self.levels)):
            h = self.up[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
            h = self.dec[i](torch.cat([h, skips[i]], 1), emb)
        return self.out(h, emb)

    def forward_vjp(self, xin, c_noise, g):
        """F(xin) and (dF/dxin)^T g, by the forward with saved activations then its mirror."""
        out, caches = self.forward_saving(xin, c_noise)
        return out, self.backward(g, caches)

    def forward_saving(self, xin, c_noise):
        """F(xin) and the Block caches `backward` needs."""
        L = self.levels
        emb = self.emb(c_noise[:, None])
        enc_c, dec_c = [None] * (L + 1), [None] * L
        h, skips = self.conv_in(xin), []
        for i in range(L + 1):
            h, enc_c[i] = self.enc[i].forward_saving(h, emb)
            if i < L:
                skips.append(h)
                h = self.down[i](h)
        for i in reversed(range(L)):
            h = self.up[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
            h, dec_c[i] = self.dec[i].forward_saving(torch.cat([h, skips[i]], 1), emb)
        out, out_c = self.out.forward_saving(h, emb)
        return out, (enc_c, dec_c, out_c)

    def backward(self, g, caches):
        """(dF/dxin)^T g from `forward_saving`'s caches."""
        L, ch = self.levels, self.channels
        enc_c, dec_c, out_c = caches
        g = self.out.backward(g, out_c)
        skip_g = [None] * L
        for i in range(L):  # the decoder ran L-1 .. 0, so its backward runs 0 .. L-1
            gcat = self.dec[i].backward(g, dec_c[i])
            skip_g[i] = gcat[:, ch[i]:]  # concat -> channel slices
            g = conv_input_grad(self.up[i], gcat[:, : ch[i]])
            g = F.avg_pool2d(g, 2) * 4  # nearest x2 upsample -> 2x2 sum-pool
        for i in reversed(range(L + 1)):
            g = self.enc[i].backward(g, enc_c[i])
            if i > 0:
                g = conv_input_grad(self.down[i - 1], g) + skip_g[i - 1]
        return conv_input_grad(self.conv_in, g)


def _col(c):
    return c.reshape(-1, 1, 1, 1)


class EDMDenoiser(nn.Module):
    """D(x, sigma) = c_skip x + c_out F(c_in x, c_noise). Exported as the denoiser graph."""

    def __init__(self, net, sigma_data=SIGMA_DATA):
        super().__init__()
        self.net = net
        self.sigma_data = sigma_data

    def forward(self, x, sigma):
        c_skip, c_out, c_in, c_noise = edm_coefficients(sigma, self.sigma_data)
        return _col(c_skip) * x + _col(c_out) * self.net(_col(c_in) * x, c_noise)


class EDMDenoiserVJP(nn.Module):
    """(D(x), J_D(x)^T r) with J_D^T r = c_skip r + c_in (dF)^T (c_out r). The VJP graph."""

    def __init__(self, denoiser):
        super().__init__()
        self.denoiser = denoiser

    def forward(self, x, sigma, r):
        c_skip, c_out, c_in, c_noise = edm_coefficients(sigma, self.denoiser.sigma_data)
        f, g = self.denoiser.net.forward_vjp(_col(c_in) * x, c_noise, _col(c_out) * r)
        return _col(c_skip) * x + _col(c_out) * f, _col(c_skip) * r + _col(c_in) * g


def parameter_count(module):
    return sum(p.numel() for p in module.parameters())


def size_multiple(net):
    return 2 ** net.levels


def edm_loss_weight(sigma, sigma_data=SIGMA_DATA):
    """EDM's lambda(sigma) = 1 / c_out^2: unit effective loss weight across noise levels."""
    return (sigma * sigma + sigma_data * sigma_data) / (sigma * sigma_data) ** 2



def block_layout(net, size=None):
    """Where each Block's cache (xhat, inv, scale, z) starts among the flattened leaves of
    `net.forward_saving`'s caches, with the tree spec to rebuild them: found by one dry run that
    records which Block produced which xhat."""
    from torch.utils._pytree import tree_flatten
    owner = {}
    blocks = [m for m in net.modules() if isinstance(m, Block)]
    for blk in blocks:
        def recording(h, emb, blk=blk, run=Block.forward_saving):
            out, cache = run(blk, h, emb)
            owner[id(cache[0])] = blk
            return out, cache
        blk.forward_saving = recording  # instance attribute: shadows the method for this run only
    try:
        s = size or 2 * size_multiple(net)
        dtype = next(net.parameters()).dtype
        with torch.no_grad():
            _, caches = net.forward_saving(torch.zeros(1, 1, s, s, dtype=dtype), torch.zeros(1, dtype=dtype))
    finally:
        for blk in blocks:
            del blk.forward_saving
    leaves, spec = tree_flatten(caches)
    layout = [(i, owner[id(leaf)]) for i, leaf in enumerate(leaves) if id(leaf) in owner]
    covered = {i + k for i, _ in layout for k in range(4)}
    stray = [i for i, leaf in enumerate(leaves) if i not in covered and leaf is not None]
    if stray or len(layout) != len(blocks):
        raise RuntimeError(f"unexpected cache layout: leaves {stray} are not Block caches")
    return layout, spec, len(leaves)


class EDMSaving(nn.Module):
    """(x, sigma) -> D(x, sigma) and saved_0, saved_1, ...: the first half of the VJP graph. Per
    Block it keeps the normalised input xhat and 1/std; everything else the backward needs
    depends on sigma only and EDMPullback recomputes it. With EDMPullback this replaces the
    forward + (forward + backward) of a DPS step by forward + backward."""

    def __init__(self, denoiser):
        super().__init__()
        self.denoiser = denoiser
        self.layout, _, _ = block_layout(denoiser.net)

    def forward(self, x, sigma):
        from torch.utils._pytree import tree_flatten
        c_skip, c_out, c_in, c_noise = edm_coefficients(sigma, self.denoiser.sigma_data)
        f, caches = self.denoiser.net.forward_saving(_col(c_in) * x, c_noise)
        leaves, _ = tree_flatten(caches)
        saved = [t for i, _ in self.layout for t in (leaves[i], leaves[i + 1])]
        return (_col(c_skip) * x + _col(c_out) * f, *saved)


class EDMPullback(nn.Module):
    """(sigma, r, saved_0, saved_1, ...) -> J_D(x)^T r at the x that EDMSaving saw."""

    def __init__(self, denoiser):
        super().__init__()
        self.denoiser = denoiser
        self.layout, self.spec, self.n_leaves = block_layout(denoiser.net)

    def forward(self, sigma, r, *saved):
        from torch.utils._pytree import tree_unflatten
        c_skip, c_out, c_in, c_noise = edm_coefficients(sigma, self.denoiser.sigma_data)
        net = self.denoiser.net
        emb = net.emb(c_noise[:, None])
        leaves = [None] * self.n_leaves
        for k, (i, blk) in enumerate(self.layout):
            xhat, inv = saved[2 * k], saved[2 * k + 1]
            scale, shift = blk._film(emb)
            leaves[i:i + 4] = [xhat, inv, scale, xhat * scale + shift]
        g = net.backward(_col(c_out) * r, tree_unflatten(leaves, self.spec))
        return _col(c_skip) * r + _col(c_in) * g
