"""The shipped priors' network: a residual noise-conditional U-Net with a hand-written exact VJP.

Same building blocks and conventions as tiny_unet.py (GroupNorm -> FiLM(c_noise) -> SiLU ->
conv3x3, stride-2 conv down, nearest x2 + conv up, concatenated skips, EDM preconditioning in
EDMDenoiser), plus residual blocks h + B2(B1(h)) so that a deeper network trains quickly on a
CPU. Full-resolution work is kept small (one block each way) because it dominates the cost:
the app runs about a hundred of these per reconstruction on two cores.

Every layer has `forward_saving` / `backward` (input gradient only), so `forward_vjp` returns
F(x) and (dF/dx)^T g from one pass, and the two halves also export as separate graphs (see
tiny_unet.EDMSaving); models/test_export.py checks all of them against autograd.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from tiny_unet import Block, conv_input_grad


class ResBlock(nn.Module):
    """h + B2(B1(h)); B2's conv starts at zero so each block starts as the identity."""

    def __init__(self, ch, emb_dim, groups):
        super().__init__()
        self.b1 = Block(ch, ch, emb_dim, groups)
        self.b2 = Block(ch, ch, emb_dim, groups)
        nn.init.zeros_(self.b2.conv.weight)
        nn.init.zeros_(self.b2.conv.bias)

    def forward(self, h, emb):
        return h + self.b2(self.b1(h, emb), emb)

    def forward_saving(self, h, emb):
        a, c1 = self.b1.forward_saving(h, emb)
        b, c2 = self.b2.forward_saving(a, emb)
        return h + b, (c1, c2)

    def backward(self, g, cache):
        c1, c2 = cache
        return g + self.b1.backward(self.b2.backward(g, c2), c1)


class PriorUNet(nn.Module):
    """F(c_in x, c_noise). Level 0 (full resolution) has a single Block each way; deeper levels
    `res_blocks` ResBlocks in the encoder and a Block + ResBlock in the decoder."""

    def __init__(self, channels=(24, 48, 96, 128), res_blocks=1, emb_dim=64, groups=8):
        super().__init__()
        self.channels = tuple(channels)
        self.levels = len(channels) - 1
        self.res_blocks = res_blocks
        ch, L = self.channels, self.levels
        self.emb = nn.Sequential(nn.Linear(1, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim), nn.SiLU())
        self.conv_in = nn.Conv2d(1, ch[0], 3, padding=1)
        self.enc0 = Block(ch[0], ch[0], emb_dim, groups)
        self.enc = nn.ModuleList(
            nn.ModuleList(ResBlock(ch[i], emb_dim, groups) for _ in range(res_blocks)) for i in range(1, L + 1))
        self.down = nn.ModuleList(nn.Conv2d(ch[i], ch[i + 1], 3, stride=2, padding=1) for i in range(L))
        self.up = nn.ModuleList(nn.Conv2d(ch[i + 1], ch[i], 3, padding=1) for i in range(L))
        self.dec = nn.ModuleList(Block(2 * ch[i], ch[i], emb_dim, groups) for i in range(L))
        self.dec_res = nn.ModuleList(ResBlock(ch[i], emb_dim, groups) for i in range(1, L))
        self.out = Block(ch[0], 1, emb_dim, groups)

    def forward(self, xin, c_noise):
        emb = self.emb(c_noise[:, None])
        h = self.enc0(self.conv_in(xin), emb)
        skips = [h]
        for i in range(1, self.levels + 1):
            h = self.down[i - 1](h)
            for blk in self.enc[i - 1]:
                h = blk(h, emb)
            if i < self.levels:
                skips.append(h)
        for i in reversed(range(self.levels)):
            h = self.up[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
            h = self.dec[i](torch.cat([h, skips[i]], 1), emb)
            if i > 0:
                h = self.dec_res[i - 1](h, emb)
        return self.out(h, emb)

    def forward_vjp(self, xin, c_noise, g):
        """F(xin) and (dF/dxin)^T g: the forward keeping activations, then its mirror image."""
        out, caches = self.forward_saving(xin, c_noise)
        return out, self.backward(g, caches)

    def forward_saving(self, xin, c_noise):
        """F(xin) and what `backward` needs: the Block caches, nested like the network."""
        L = self.levels
        emb = self.emb(c_noise[:, None])
        h, enc0_c = self.enc0.forward_saving(self.conv_in(xin), emb)
        skips = [h]
        enc_c = [[None] * self.res_blocks for _ in range(L)]
        for i in range(1, L + 1):
            h = self.down[i - 1](h)
            for j, blk in enumerate(self.enc[i - 1]):
                h, enc_c[i - 1][j] = blk.forward_saving(h, emb)
            if i < L:
                skips.append(h)
        dec_c, res_c = [None] * L, [None] * L
        for i in reversed(range(L)):
            h = self.up[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
            h, dec_c[i] = self.dec[i].forward_saving(torch.cat([h, skips[i]], 1), emb)
            if i > 0:
                h, res_c[i] = self.dec_res[i - 1].forward_saving(h, emb)
        out, out_c = self.out.forward_saving(h, emb)
        return out, (enc0_c, enc_c, dec_c, res_c, out_c)

    def backward(self, g, caches):
        """(dF/dxin)^T g from `forward_saving`'s caches."""
        L, ch = self.levels, self.channels
        enc0_c, enc_c, dec_c, res_c, out_c = caches
        g = self.out.backward(g, out_c)
        skip_g = [None] * L
        for i in range(L):  # decoder ran L-1 .. 0; its mirror runs 0 .. L-1
            if i > 0:
                g = self.dec_res[i - 1].backward(g, res_c[i])
            gcat = self.dec[i].backward(g, dec_c[i])
            skip_g[i] = gcat[:, ch[i]:]
            g = conv_input_grad(self.up[i], gcat[:, : ch[i]])
            g = F.avg_pool2d(g, 2) * 4  # adjoint of nearest x2 upsampling: 2x2 sum-pool
        for i in reversed(range(1, L + 1)):
            for j in reversed(range(self.res_blocks)):
                g = self.enc[i - 1][j].backward(g, enc_c[i - 1][j])
            g = conv_input_grad(self.down[i - 1], g) + skip_g[i - 1]
        g = self.enc0.backward(g, enc0_c)
        return conv_input_grad(self.conv_in, g)
