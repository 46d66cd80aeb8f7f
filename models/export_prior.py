"""Export a trained prior to ONNX, validate it against TV denoising, draw samples, write its card.

    /usr/bin/python3 models/export_prior.py --domain mri-brain [--quick]
    npx tsx models/time_card.ts models/mri-brain-unet.json      # onnxruntime-node timings

Reads `.train-runs/<id>/ckpt.pt` (models/train_prior.py) and writes models/<id>/{denoiser,vjp,saving,pullback}.onnx
(the EMA weights), models/<id>/weights.pt, models/<id>/samples.png and the card models/<id>.json.

Validation (held out from training, see prepare_data.py): PSNR (peak 1, images in [0, 1],
output clipped to [0, 1]) of D(x + sigma n, sigma) at sigma = 15, 25, 50 /255, against TV
denoising (skimage's Chambolle) with its weight tuned per sigma on a separate tuning subset.
Samples: EDM's deterministic Heun sampler (Karras et al. 2022, rho = 7) from pure noise.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_onnx import OPSET, export, regraph, sha256  # noqa: E402
from prior_unet import PriorUNet  # noqa: E402
from tiny_unet import SIGMA_DATA, EDMDenoiser, parameter_count, size_multiple  # noqa: E402
from train_prior import DOMAINS, SIGMA_MAX, SIGMA_MIN, denoise_padded  # noqa: E402

SIGMAS = (15 / 255, 25 / 255, 50 / 255)
TV_WEIGHTS = (0.01, 0.02, 0.035, 0.05, 0.07, 0.1, 0.14, 0.2, 0.3, 0.45)

TRAINING_DATA = {
    "mri-brain": {
        "data": "mri-slices/Training (5,708 clinical brain MRI JPEG slices, four classes; nearly empty slices dropped) "
                "and Colin27 ch2.nii.gz sagittal slices x < 80 (left hemisphere), each scaled by its maximum",
        "licences": ["Brain Tumor MRI Dataset (Nickparvar): figshare CC BY 4.0 + SARTAJ + Br35H, research use",
                     "Colin27 (mricron-data): BSD-3"],
        "validation": "mri-slices/Testing (1,311 slices; every 4th used) and Colin27 sagittal slices x = 101..166 "
                      "(right hemisphere, every 5th)",
    },
    "natural-gray": {
        "data": "natural/train400 (400 grayscale 180x180 BSD crops, the DnCNN training set), scaled by 1/255",
        "licences": ["Berkeley Segmentation Dataset via the DnCNN repositories: research use"],
        "validation": "natural/bsd68 (68 images, never used in training)",
    },
}


def load_ema(ck_path):
    ck = torch.load(ck_path, map_location="cpu")
    net = PriorUNet()
    d = EDMDenoiser(net)
    d.load_state_dict(ck["ema"])
    return d.eval(), ck


def held_out(domain, data_root):
    z = np.load(os.path.join(data_root, f"{domain}.npz"))
    if domain == "mri-brain":
        imgs = list(z["val"][::4]) + list(z["val_colin"])
    else:
        imgs = [z[k] for k in sorted(k for k in z.files if k.startswith("val_"))]
    return [i.astype(np.float64) / 255 for i in imgs]


def psnr(a, b):
    return -10 * math.log10(float(np.mean((a - b) ** 2)))


@torch.no_grad()
def denoise(d, noisy, s):
    x = torch.from_numpy(noisy.astype(np.float32))[None, None]
    return denoise_padded(d, x, s).numpy()[0, 0].astype(np.float64)


def evaluate(d, imgs, quick):
    from skimage.restoration import denoise_tv_chambolle
    rng = np.random.default_rng(2024)
    if quick:
        imgs = imgs[:12]
    tune, rows = imgs[::7][:6], []
    for s in SIGMAS:
        noisy = [x + s * rng.standard_normal(x.shape) for x in imgs]
        tune_noisy = [x + s * rng.standard_normal(x.shape) for x in tune]
        best_w = max(TV_WEIGHTS, key=lambda w: np.mean([psnr(denoise_tv_chambolle(n, weight=w), x) for n, x in zip(tune_noisy, tune)]))
        ours = np.mean([psnr(np.clip(denoise(d, n, s), 0, 1), x) for n, x in zip(noisy, imgs)])
        tv = np.mean([psnr(np.clip(denoise_tv_chambolle(n, weight=best_w), 0, 1), x) for n, x in zip(noisy, imgs)])
        rows.append({"sigma": round(s, 5), "sigma_255": round(s * 255), "psnr_db": round(float(ours), 2),
                     "tv_psnr_db": round(float(tv), 2), "tv_weight": best_w,
                     "input_psnr_db": round(float(np.mean([psnr(n, x) for n, x in zip(noisy, imgs)])), 2)})
        print(f"sigma {s * 255:4.0f}/255: ours {ours:.2f} dB, TV {tv:.2f} dB (weight {best_w})", flush=True)
    return rows, len(imgs)


@torch.no_grad()
def heun_samples(d, n, size, steps, seed):
    """EDM Algorithm 1 (deterministic Heun), sigma from SIGMA_MAX to SIGMA_MIN, rho = 7."""
    g = torch.Generator().manual_seed(seed)
    rho = 7
    i = torch.arange(steps, dtype=torch.float64)
    t = (SIGMA_MAX ** (1 / rho) + i / (steps - 1) * (SIGMA_MIN ** (1 / rho) - SIGMA_MAX ** (1 / rho))) ** rho
    t = torch.cat([t, torch.zeros(1, dtype=torch.float64)])
    x = torch.randn(n, 1, size, size, generator=g, dtype=torch.float64) * t[0]
    den = lambda x, s: d(x.float(), torch.full((n,), float(s))).double()  # noqa: E731
    for k in range(steps):
        dx = (x - den(x, t[k])) / t[k]
        x_next = x + (t[k + 1] - t[k]) * dx
        if t[k + 1] > 0:
            dx2 = (x_next - den(x_next, t[k + 1])) / t[k + 1]
            x_next = x + (t[k + 1] - t[k]) * 0.5 * (dx + dx2)
        x = x_next
    return x.clamp(0, 1).float().numpy()[:, 0]


def save_grid(samples, path, cols=4):
    from PIL import Image
    n, h, w = samples.shape
    rows = (n + cols - 1) // cols
    grid = np.zeros((rows * (h + 2), cols * (w + 2)), np.uint8)
    for k, s in enumerate(samples):
        r, c = divmod(k, cols)
        grid[r * (h + 2):r * (h + 2) + h, c * (w + 2):c * (w + 2) + w] = np.round(s * 255)
    Image.fromarray(grid).save(path)


def schedule_text(ck):
    """The optimiser and learning-rate history over every training invocation (train_prior.py
    records one entry per run in the checkpoint)."""
    cfg = ck["config"]
    parts = []
    for h in ck.get("history", []):
        lr = f"lr {h['lr']:g} constant" if h.get("lr_final") is None else f"lr cosine {h['lr']:g} -> {h['lr_final']:g}"
        whole = f", {h['whole_frac']:.0%} whole images" if h.get("whole_frac") else ""
        parts.append(f"steps {h['from_step']}-{h['to_step']}: {lr}, {h['batch']}x{h['patch']}^2{whole}")
    return f"Adam, EMA {cfg['ema']} (exported); " + ("; ".join(parts) if parts else f"lr {cfg['lr']} constant")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--domain", choices=sorted(DOMAINS), required=True)
    ap.add_argument("--data", default=os.path.join(HERE, "..", ".train-data"))
    ap.add_argument("--runs", default=os.path.join(HERE, "..", ".train-runs"))
    ap.add_argument("--quick", action="store_true", help="validate on 12 images (a smoke run)")
    ap.add_argument("--sample-steps", type=int, default=40)
    ap.add_argument("--sample-size", type=int, default=128,
                    help="side of the unconditional samples (the brain prior's whole-slice batches are 96^2)")
    ap.add_argument("--graphs-only", action="store_true",
                    help="re-export the ONNX graphs from the shipped weights.pt and update only the card's files and hashes")
    args = ap.parse_args()
    torch.set_num_threads(2)

    model_id = DOMAINS[args.domain]["id"]
    if args.graphs_only:
        return regraph(model_id, PriorUNet)
    d, ck = load_ema(os.path.join(args.runs, model_id, "ckpt.pt"))
    net = d.net
    out_dir = os.path.join(HERE, model_id)
    os.makedirs(out_dir, exist_ok=True)
    torch.save(net.state_dict(), os.path.join(out_dir, "weights.pt"))
    paths = export(d, out_dir)

    t0 = time.time()
    rows, n_val = evaluate(d, held_out(args.domain, args.data), args.quick)
    print(f"validation took {time.time() - t0:.0f} s")
    samples = heun_samples(d, 16, args.sample_size, args.sample_steps, seed=7)
    save_grid(samples, os.path.join(out_dir, "samples.png"))

    info = TRAINING_DATA[args.domain]
    cfg = ck["config"]
    card_path = os.path.join(HERE, f"{model_id}.json")
    old = json.load(open(card_path)) if os.path.exists(card_path) else {}
    hashes = {k: sha256(p) for k, p in paths.items()}
    card = {
        "schema": 1,
        "id": model_id,
        "domain": args.domain,
        "description": (f"Noise-conditional residual U-Net prior for {'brain MRI magnitude images' if args.domain == 'mri-brain' else 'grayscale natural images'} "
                        f"({parameter_count(net):,} parameters, {net.levels} levels), EDM-preconditioned, with an exact "
                        "hand-written VJP graph for DPS. Trained on a 2-core CPU: a modest prior; see validation."),
        "architecture": {
            "name": "prior-unet", "source": "models/prior_unet.py", "levels": net.levels, "channels": list(net.channels),
            "res_blocks": net.res_blocks,
            "blocks": "GroupNorm(8 groups, no affine) -> FiLM(c_noise) -> SiLU -> conv3x3; residual blocks below full "
                      "resolution; stride-2 conv down; nearest x2 + conv3x3 up; concatenated skips",
            "vjp": "hand-written backward network of ordinary ops (models/prior_unet.py), exact",
        },
        "parameters": parameter_count(net),
        "training": {
            "data": info["data"], "licences": info["licences"],
            "steps": ck["step"], "batch": cfg["batch"], "patch": cfg["patch"], "seed": cfg["seed"],
            "optimizer": schedule_text(ck),
            "loss": "EDM weighted MSE; sigma half log-normal (P_mean -1.2, P_std 1.2), half log-uniform on [0.01, 0.5]",
            "augmentation": "random crops, 90-degree rotations, horizontal flips"
                            + ("; part of each batch whole images area-downsampled to the patch size" if any(
                                h.get("whole_frac") for h in ck.get("history", [])) else ""),
            "time_s": round(ck["seconds"], 1), "hardware": cfg["hardware"] + ", PyTorch " + cfg["torch"].split("+")[0],
            "pytorch_weights": f"{model_id}/weights.pt",
            "reproduce": old.get("training", {}).get("reproduce") or f"models/prepare_data.py; models/train_prior.py --domain {args.domain}; models/export_prior.py --domain {args.domain}",
        },
        "normalisation": {"range": [0, 1], "description": (
            "MRI magnitude divided by its maximum (the app divides by the zero-filled image's maximum)" if args.domain == "mri-brain"
            else "8-bit gray values divided by 255") + "; sigma in the same units"},
        "sigma": {"min": SIGMA_MIN, "max": SIGMA_MAX, "data": SIGMA_DATA, "parameterisation": "edm",
                  "c_noise": "ln(sigma)/4", "units": "image units ([0, 1])"},
        "input": {"layout": "NCHW", "channels": 1, "multiple": size_multiple(net),
                  "rule": "H and W must be multiples of 2^levels; the app pads (reflect) and crops back",
                  "dtype": "float32", "batch": "dynamic", "opset": OPSET},
        "files": {k: os.path.relpath(p, HERE).replace(os.sep, "/") for k, p in paths.items()},
        "sha256": hashes,
        "validation": {
            "data": info["validation"], "images": n_val,
            "method": "PSNR (peak 1) of the clipped denoiser output at known sigma; TV = skimage denoise_tv_chambolle, "
                      "weight tuned per sigma on a separate subset",
            "psnr": rows,
        },
        "samples": {"file": f"{model_id}/samples.png", "sampler": f"EDM Heun, {args.sample_steps} steps, {args.sample_size}x{args.sample_size}, seed 7"},
        "timing": old.get("timing") if old.get("sha256") == hashes else None,
    }
    with open(card_path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print("wrote", card_path, {k: os.path.getsize(p) for k, p in paths.items()})


if __name__ == "__main__":
    main()
