"""Train a shipped prior (PriorUNet + EDM preconditioning): seeded, resumable, time-boxed.

    /usr/bin/python3 models/prepare_data.py                                  # once: .train-data/*.npz
    /usr/bin/python3 models/train_prior.py --domain mri-brain --minutes 120  # resumes if a checkpoint exists
    /usr/bin/python3 models/export_prior.py --domain mri-brain               # ONNX graphs + card

Runs on CUDA when available, else on the CPU (Debian's python3-torch 1.13 works). State
(weights, EMA, optimiser, step, data RNG) is checkpointed to `.train-runs/<id>/ckpt.pt` every
few minutes and at the end, so a run can be stopped and resumed on another machine; the log
(`log.jsonl`) holds the loss and the validation PSNR per sigma.

Loss: EDM's weighted MSE, lambda(sigma) = 1/c_out^2. Noise levels: half from EDM's
log-normal (P_mean -1.2, P_std 1.2), half log-uniform on [0.01, 0.5] so the denoising range
that measurement-guided sampling spends most steps in is well covered. Adam at a constant
learning rate with an EMA of the weights (the EMA is what is exported).
"""
import argparse
import copy
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
from prior_unet import PriorUNet  # noqa: E402
from tiny_unet import EDMDenoiser, edm_loss_weight, size_multiple  # noqa: E402

SIGMA_MIN, SIGMA_MAX = 0.002, 80.0
VAL_SIGMAS = (15 / 255, 25 / 255, 50 / 255, 0.5, 2.0)

# Per domain: model id, patch size, batch.
DOMAINS = {
    "mri-brain": {"id": "mri-brain-unet", "patch": 96, "batch": 8},
    "natural-gray": {"id": "natural-gray-unet", "patch": 64, "batch": 16},
}


def load_data(domain, root):
    z = np.load(os.path.join(root, f"{domain}.npz"))
    train = z["train"]
    if domain == "mri-brain":
        val = [z["val"][i] for i in range(0, len(z["val"]), max(1, len(z["val"]) // 24))][:24]
    else:
        val = [z[k] for k in sorted(k for k in z.files if k.startswith("val_"))][:24]
    return train, val


def batch_of(train, n, patch, rng, whole_frac=0.0):
    """Random patches with random flips and 90-degree rotations (the priors have no preferred
    orientation: DICOM slices come in every orientation). A fraction `whole_frac` of the batch
    is whole images area-downsampled to the patch size instead: a patch never shows the network
    a whole brain or scene, so without them it learns texture but no global layout."""
    idx = rng.integers(0, len(train), n)
    h, w = train.shape[1:]
    out = np.empty((n, 1, patch, patch), np.float32)
    for k, i in enumerate(idx):
        if rng.random() < whole_frac:
            img = torch.from_numpy(train[i].astype(np.float32) / 255)[None, None]
            p = torch.nn.functional.interpolate(img, size=(patch, patch), mode="area")[0, 0].numpy()
        else:
            y, x = rng.integers(0, h - patch + 1), rng.integers(0, w - patch + 1)
            p = train[i, y:y + patch, x:x + patch].astype(np.float32) / 255
        p = np.rot90(p, rng.integers(0, 4))
        if rng.random() < 0.5:
            p = p[:, ::-1]
        out[k, 0] = p
    return torch.from_numpy(out)


def sample_sigma(n, gen):
    edm = torch.exp(-1.2 + 1.2 * torch.randn(n, generator=gen))
    lo, hi = math.log(0.01), math.log(0.5)
    uni = torch.exp(lo + (hi - lo) * torch.rand(n, generator=gen))
    pick = torch.rand(n, generator=gen) < 0.5
    return torch.where(pick, edm, uni).clamp(SIGMA_MIN, SIGMA_MAX)


@torch.no_grad()
def denoise_padded(denoiser, noisy, sigma, device="cpu"):
    """D(noisy, sigma) for a [1, 1, H, W] tensor of any size: reflect-padded to the network's
    size multiple (as the app pads) and cropped back."""
    m = size_multiple(denoiser.net)
    H, W = noisy.shape[2:]
    pad = torch.nn.functional.pad(noisy, (0, (-W) % m, 0, (-H) % m), mode="reflect")
    return denoiser(pad.to(device), torch.full((1,), sigma, device=device)).cpu()[..., :H, :W]


@torch.no_grad()
def validate(denoiser, val, device, seed=1234):
    """PSNR (peak 1) per sigma on the held-out images, noise seeded so runs compare."""
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for s in VAL_SIGMAS:
        acc = []
        for img in val:
            x = torch.from_numpy(img.astype(np.float32) / 255)[None, None]
            noisy = x + s * torch.randn(x.shape, generator=gen)
            out = denoise_padded(denoiser, noisy, s, device)
            acc.append(-10 * math.log10(((out.clamp(0, 1) - x) ** 2).mean().item()))
        rows.append({"sigma": round(s, 5), "psnr_db": round(sum(acc) / len(acc), 2)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--domain", choices=sorted(DOMAINS), required=True)
    ap.add_argument("--data", default=os.path.join(HERE, "..", ".train-data"))
    ap.add_argument("--runs", default=os.path.join(HERE, "..", ".train-runs"))
    ap.add_argument("--minutes", type=float, default=60, help="stop after this much training time (this invocation)")
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--lr-final", type=float, help="cosine-decay the learning rate from --lr to this over this invocation's --minutes (a fine-tuning finish)")
    ap.add_argument("--whole-frac", type=float, default=0.0, help="fraction of each batch that is whole images downsampled to the patch size")
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--patch", type=int)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--checkpoint-minutes", type=float, default=5)
    ap.add_argument("--validate-every", type=int, default=500)
    args = ap.parse_args()

    cfg = DOMAINS[args.domain]
    batch, patch = args.batch or cfg["batch"], args.patch or cfg["patch"]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(args.threads)
    run_dir = os.path.join(args.runs, cfg["id"])
    os.makedirs(run_dir, exist_ok=True)
    ckpt_path = os.path.join(run_dir, "ckpt.pt")

    torch.manual_seed(args.seed)
    net = PriorUNet()
    denoiser = EDMDenoiser(net).to(device)
    ema = copy.deepcopy(denoiser).eval()
    opt = torch.optim.Adam(denoiser.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed + 1)
    step, seconds = 0, 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device)
        denoiser.load_state_dict(ck["model"])
        ema.load_state_dict(ck["ema"])
        opt.load_state_dict(ck["opt"])
        step, seconds = ck["step"], ck["seconds"]
        rng.bit_generator.state = ck["rng"]
        gen.set_state(ck["gen"])
        print(f"resumed {cfg['id']} at step {step} ({seconds / 60:.1f} min trained)", flush=True)

    train, val = load_data(args.domain, args.data)
    log = open(os.path.join(run_dir, "log.jsonl"), "a")
    hardware = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU, {args.threads} thread(s)"

    history = ck.get("history", []) if os.path.exists(ckpt_path) else []
    this_run = {"from_step": step, "lr": args.lr, "lr_final": args.lr_final, "whole_frac": args.whole_frac,
                "batch": batch, "patch": patch}

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"history": history + [{**this_run, "to_step": step}], "model": denoiser.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                    "seconds": seconds, "rng": rng.bit_generator.state, "gen": gen.get_state(),
                    "config": {"domain": args.domain, "batch": batch, "patch": patch, "lr": args.lr, "lr_final": args.lr_final,
                               "whole_frac": args.whole_frac, "ema": args.ema,
                               "seed": args.seed, "hardware": hardware, "torch": torch.__version__}}, tmp)
        os.replace(tmp, ckpt_path)  # atomic: a kill mid-save keeps the previous checkpoint

    t_start, t_ckpt, running = time.time(), time.time(), None
    while time.time() - t_start < args.minutes * 60 and step < args.max_steps:
        t0 = time.time()
        if args.lr_final is not None:
            frac = min(1.0, (t0 - t_start) / (args.minutes * 60))
            for g in opt.param_groups:
                g["lr"] = args.lr_final + (args.lr - args.lr_final) * 0.5 * (1 + math.cos(math.pi * frac))
        x = batch_of(train, batch, patch, rng, args.whole_frac).to(device)
        sigma = sample_sigma(batch, gen).to(device)
        noise = torch.randn(x.shape, generator=gen).to(device)
        loss = (edm_loss_weight(sigma)[:, None, None, None] * (denoiser(x + sigma[:, None, None, None] * noise, sigma) - x) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), denoiser.parameters()):
                pe.mul_(args.ema).add_(p.detach(), alpha=1 - args.ema)
        step += 1
        seconds += time.time() - t0
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0:
            print(f"step {step} loss {running:.4f} {seconds / step:.3f} s/step", flush=True)
        if step % args.validate_every == 0:
            rows = validate(ema, val, device)
            log.write(json.dumps({"step": step, "seconds": round(seconds, 1), "loss": running, "val": rows}) + "\n")
            log.flush()
            print("  val", " ".join(f"{r['sigma']:.3f}:{r['psnr_db']:.2f}" for r in rows), flush=True)
        if time.time() - t_ckpt > args.checkpoint_minutes * 60:
            save()
            t_ckpt = time.time()
    save()
    print(f"stopped at step {step}, {seconds / 60:.1f} min trained in total", flush=True)


if __name__ == "__main__":
    main()
