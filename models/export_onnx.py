"""Build the `test-tiny` prior: quick seeded training on synthetic shapes, ONNX export, card.

    /usr/bin/python3 models/export_onnx.py            # writes models/test-tiny/ and models/test-tiny.json
    npx tsx models/time_card.ts models/test-tiny.json  # then fills in the onnxruntime-node timings
    /usr/bin/python3 models/export_onnx.py --graphs-only  # graphs only, from the committed weights.pt

The test model only has to exercise the ONNX path, but a few hundred steps make it an actual
(weak) denoiser, so sampler tests can see it move images towards clean shapes.
Needs torch (Debian's python3-torch 1.13 works) and, for the checks, onnx.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiny_unet import (  # noqa: E402
    SIGMA_DATA, EDMDenoiser, EDMDenoiserVJP, EDMPullback, EDMSaving, TinyUNet, edm_loss_weight, parameter_count,
    size_multiple)

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_ID = "test-tiny"
OPSET = 17
SIGMA_MIN, SIGMA_MAX = 0.002, 80.0
VALIDATION_SIGMAS = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0)


def synthetic_shapes(n, size, gen):
    """Piecewise-constant images in [0, 1]: a tilted background plus random rectangles and
    ellipses. Generated here, so the training data carries no licence."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    img = 0.3 * torch.rand(n, 1, 1, generator=gen) + 0.2 * (torch.rand(n, 1, 1, generator=gen) - 0.5) * (xx + yy)
    for _ in range(4):
        cx, cy, rx, ry = (torch.rand(4, n, 1, 1, generator=gen) * torch.tensor([1.6, 1.6, 0.6, 0.6])[:, None, None, None]
                          + torch.tensor([-0.8, -0.8, 0.1, 0.1])[:, None, None, None])
        level = torch.rand(n, 1, 1, generator=gen)
        ellipse = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1
        rect = ((xx - cx).abs() <= rx) & ((yy - cy).abs() <= ry)
        use_rect = torch.rand(n, 1, 1, generator=gen) < 0.5
        mask = torch.where(use_rect, rect, ellipse) & (torch.rand(n, 1, 1, generator=gen) < 0.8)
        img = torch.where(mask, level, img)
    return img.clamp(0, 1)[:, None]


def train(denoiser, steps, batch, size, seed):
    """EDM loss with EDM's log-normal sigma distribution (P_mean -1.2, P_std 1.2)."""
    gen = torch.Generator().manual_seed(seed + 1)
    opt = torch.optim.Adam(denoiser.parameters(), lr=2e-3)
    for step in range(steps):
        x = synthetic_shapes(batch, size, gen)
        sigma = torch.exp(-1.2 + 1.2 * torch.randn(batch, generator=gen)).clamp(SIGMA_MIN, SIGMA_MAX)
        noisy = x + sigma[:, None, None, None] * torch.randn(x.shape, generator=gen)
        loss = (edm_loss_weight(sigma)[:, None, None, None] * (denoiser(noisy, sigma) - x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.4f}", flush=True)


@torch.no_grad()
def validation_psnr(denoiser, size, seed):
    """PSNR (data range 1) of D(x + sigma n) against x on 64 held-out synthetic images."""
    gen = torch.Generator().manual_seed(seed + 2)
    x = synthetic_shapes(64, size, gen)
    rows = []
    for s in VALIDATION_SIGMAS:
        noisy = x + s * torch.randn(x.shape, generator=gen)
        out = denoiser(noisy, torch.full((x.shape[0],), s))
        psnr = lambda a: round(-10 * math.log10(((a - x) ** 2).mean().item()), 2)  # noqa: E731
        rows.append({"sigma": s, "psnr_db": psnr(out), "input_psnr_db": psnr(noisy)})
    return rows


def export(denoiser, out_dir):
    denoiser.eval()
    x, sigma, r = torch.rand(1, 1, 32, 32), torch.tensor([0.5]), torch.randn(1, 1, 32, 32)
    img = {0: "N", 2: "H", 3: "W"}
    common = dict(opset_version=OPSET, do_constant_folding=True)
    paths = {"denoiser": os.path.join(out_dir, "denoiser.onnx"), "vjp": os.path.join(out_dir, "vjp.onnx")}
    torch.onnx.export(denoiser, (x, sigma), paths["denoiser"], input_names=["x", "sigma"], output_names=["denoised"],
                      dynamic_axes={"x": img, "sigma": {0: "N"}, "denoised": img}, **common)
    torch.onnx.export(EDMDenoiserVJP(denoiser), (x, sigma, r), paths["vjp"], input_names=["x", "sigma", "r"],
                      output_names=["denoised", "vjp"],
                      dynamic_axes={"x": img, "sigma": {0: "N"}, "r": img, "denoised": img, "vjp": img}, **common)
    paths.update(export_split(denoiser, out_dir, common))
    for k in ("denoiser", "vjp"):
        name_single_channel(paths[k])
    return paths


def export_split(denoiser, out_dir, common):
    """The VJP in two graphs for DPS, which needs D(x) before it knows r: `saving` (x, sigma ->
    denoised, saved_*) and `pullback` (sigma, r, saved_* -> vjp). A DPS step is then one forward
    plus one backward instead of a forward plus the fused graph's forward and backward."""
    saving, pullback = EDMSaving(denoiser), EDMPullback(denoiser)
    m = size_multiple(denoiser.net)
    x, sigma = torch.rand(1, 1, 4 * m, 6 * m), torch.tensor([0.5])
    out = saving(x, sigma)
    saved = [f"saved_{k}" for k in range(len(out) - 1)]
    img = {0: "N", 2: "H", 3: "W"}
    # Each saved image has its level's own H/W (dims names must not claim equal sizes across levels).
    axes = {name: ({0: "N", 2: f"h_{name}", 3: f"w_{name}"} if t.dim() == 4 else {0: "N"}) for name, t in zip(saved, out[1:])}
    paths = {"saving": os.path.join(out_dir, "saving.onnx"), "pullback": os.path.join(out_dir, "pullback.onnx")}
    torch.onnx.export(saving, (x, sigma), paths["saving"], input_names=["x", "sigma"], output_names=["denoised", *saved],
                      dynamic_axes={"x": img, "sigma": {0: "N"}, "denoised": img, **axes}, **common)
    torch.onnx.export(pullback, (sigma, torch.randn_like(x), *out[1:]), paths["pullback"],
                      input_names=["sigma", "r", *saved], output_names=["vjp"],
                      dynamic_axes={"sigma": {0: "N"}, "r": img, "vjp": img, **axes}, **common)
    name_single_channel(paths["saving"], only=["denoised"])
    name_single_channel(paths["pullback"])
    return paths


def name_single_channel(path, only=None):
    """torch 1.13's shape inference loses the channel count of the outputs; state it (1)."""
    import onnx
    model = onnx.load(path)
    for out in model.graph.output:
        if only is None or out.name in only:
            out.type.tensor_type.shape.dim[1].dim_value = 1
    onnx.checker.check_model(model)
    onnx.save(model, path)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_card(net, paths, args, seconds, psnr):
    rel = {k: os.path.relpath(p, HERE).replace(os.sep, "/") for k, p in paths.items()}
    card_path = os.path.join(HERE, f"{MODEL_ID}.json")
    old = json.load(open(card_path)) if os.path.exists(card_path) else {}
    card = {
        "schema": 1,
        "id": MODEL_ID,
        "domain": "test",
        "description": f"Tiny {net.levels}-level noise-conditional U-Net ({parameter_count(net)} parameters) that "
                       "exists to keep the ONNX prior path (denoiser and exact VJP graphs, padding, hashing) covered "
                       "in CI. A weak denoiser of synthetic shapes; not for real images.",
        "architecture": {
            "name": "tiny-unet", "source": "models/tiny_unet.py", "levels": net.levels, "channels": list(net.channels),
            "blocks": "GroupNorm(4 groups, no affine) -> FiLM(c_noise) -> SiLU -> conv3x3; stride-2 conv down; "
                      "nearest x2 + conv3x3 up; concatenated skips",
            "vjp": "hand-written backward network of ordinary ops (models/tiny_unet.py), exact",
        },
        "parameters": parameter_count(net),
        "training": {
            "data": "synthetic piecewise-constant shapes generated by models/export_onnx.py (no external data)",
            "licences": ["MIT (generated data, this repository)"],
            "steps": args.steps, "batch": args.batch, "size": args.size, "seed": args.seed,
            "optimizer": "Adam lr 2e-3", "loss": "EDM weighted MSE, log-normal sigma (P_mean -1.2, P_std 1.2)",
            "time_s": round(seconds, 1), "hardware": "2-core CPU, PyTorch " + torch.__version__.split("+")[0],
            "pytorch_weights": "test-tiny/weights.pt",
        },
        "normalisation": {"range": [0, 1], "description": "real images scaled to [0, 1]; sigma in the same units"},
        "sigma": {"min": SIGMA_MIN, "max": SIGMA_MAX, "data": SIGMA_DATA, "parameterisation": "edm",
                  "c_noise": "ln(sigma)/4", "units": "image units ([0, 1])"},
        "input": {"layout": "NCHW", "channels": 1, "multiple": size_multiple(net),
                  "rule": "H and W must be multiples of 2^levels; the app pads (reflect) and crops back",
                  "dtype": "float32", "batch": "dynamic", "opset": OPSET},
        "files": rel,
        "sha256": {k: sha256(p) for k, p in paths.items()},
        "validation": {"data": "64 held-out synthetic 64x64 images (different seed)", "psnr": psnr},
        # Filled in by models/time_card.ts with onnxruntime-node; kept if the graphs did not change.
        "timing": old.get("timing") if old.get("sha256") == {k: sha256(p) for k, p in paths.items()} else None,
    }
    with open(card_path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    return card_path


def regraph(model_id, net_class):
    """New graphs for a model's committed weights.pt (e.g. after adding a graph kind). The
    validation, samples and training record in its card stay true, so only files and hashes
    change, and timings are dropped when any graph changed (models/time_card.ts refills them)."""
    card_path = os.path.join(HERE, f"{model_id}.json")
    card = json.load(open(card_path))
    net = net_class()
    net.load_state_dict(torch.load(os.path.join(HERE, card["training"]["pytorch_weights"])))
    paths = export(EDMDenoiser(net).eval(), os.path.join(HERE, model_id))
    hashes = {k: sha256(p) for k, p in paths.items()}
    if hashes != card["sha256"]:
        card["timing"] = None
    card["files"] = {k: os.path.relpath(p, HERE).replace(os.sep, "/") for k, p in paths.items()}
    card["sha256"] = hashes
    with open(card_path + ".tmp", "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    os.replace(card_path + ".tmp", card_path)
    print("wrote", card_path, {k: os.path.getsize(p) for k, p in paths.items()})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--graphs-only", action="store_true", help="re-export the graphs from the committed weights.pt; update only files and hashes")
    args = ap.parse_args()
    if args.graphs_only:
        return regraph(MODEL_ID, TinyUNet)

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    net = TinyUNet()
    denoiser = EDMDenoiser(net)
    t0 = time.time()
    train(denoiser, args.steps, args.batch, args.size, args.seed)
    seconds = time.time() - t0
    denoiser.eval()
    psnr = validation_psnr(denoiser, 64, args.seed)
    for row in psnr:
        print(f"sigma {row['sigma']:5}: PSNR {row['psnr_db']:6.2f} dB (noisy input {row['input_psnr_db']:6.2f} dB)")

    out_dir = os.path.join(HERE, MODEL_ID)
    os.makedirs(out_dir, exist_ok=True)
    torch.save(net.state_dict(), os.path.join(out_dir, "weights.pt"))
    paths = export(denoiser, out_dir)
    print("wrote", write_card(net, paths, args, seconds, psnr), {k: os.path.getsize(p) for k, p in paths.items()})


if __name__ == "__main__":
    main()
