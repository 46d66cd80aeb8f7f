"""Checks the hand-written VJP and the exported ONNX graphs against torch.autograd.grad.

    /usr/bin/python3 models/test_export.py      (standalone; or: python3 -m pytest models/test_export.py)

1. float64: the PyTorch hand-written backward (fused, and split into saving + pullback) equals autograd to ~1e-12 (fresh random
   weights and the shipped weights, several sizes, sigmas and a batch of 2).
2. float32: the same within 1e-4.
3. The shipped ONNX files: valid, dynamic N/H/W, under 1 MB (test-tiny) or 50 MB (the priors), hashes equal the card's, and
   their outputs equal float64 autograd within 1e-4 (relative L2) on fresh random inputs at a
   size the export never saw. The ONNX graphs are run by onnxruntime (Python) or
   onnx.reference when installed, else by onnxruntime-node through `node` (Debian's onnx 1.12
   has no reference evaluator and onnxruntime's Python wheel is not in Debian); skipped with a
   message when none is available (test/models/ covers the same with onnxruntime-node).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the repository
sys.path.insert(0, HERE)
from tiny_unet import EDMDenoiser, EDMDenoiserVJP, EDMPullback, EDMSaving, TinyUNet  # noqa: E402
from prior_unet import PriorUNet  # noqa: E402

REPO = os.path.dirname(HERE)
NETS = {"tiny-unet": TinyUNet, "prior-unet": PriorUNet}


def shipped_cards():
    """Every card in models/ whose network this file knows (test-tiny and the shipped priors)."""
    cards = []
    for name in sorted(os.listdir(HERE)):
        if name.endswith(".json"):
            card = json.load(open(os.path.join(HERE, name)))
            if card.get("architecture", {}).get("name") in NETS:
                cards.append(card)
    return cards


def rel(a, b):
    return ((a - b).norm() / b.norm()).item()


def load_shipped(card, dtype=torch.float64):
    net = NETS[card["architecture"]["name"]]()
    net.load_state_dict(torch.load(os.path.join(HERE, card["training"]["pytorch_weights"])))
    return EDMDenoiser(net.to(dtype)).eval()


def fresh(dtype, seed, cls=TinyUNet):
    """Random weights; PriorUNet's zero-initialised residual convs are perturbed so that every
    path of the backward network is exercised."""
    torch.manual_seed(seed)
    net = cls().to(dtype)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return EDMDenoiser(net).eval()


def autograd_vjp(denoiser, x, sigma, r):
    x = x.clone().requires_grad_(True)
    d = denoiser(x, sigma)
    (g,) = torch.autograd.grad(d, x, r)
    return d.detach(), g


def random_case(dtype, n, h, w, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, h, w, generator=gen, dtype=dtype)
    sigma = torch.exp(torch.empty(n, dtype=dtype).uniform_(-4, 3, generator=gen))
    return x, sigma, torch.randn(n, 1, h, w, generator=gen, dtype=dtype)


def check_hand_vjp(dtype, tol):
    worst = 0.0
    cases = [(fresh(dtype, 1), (2, 16, 24)), (fresh(dtype, 2), (1, 32, 8)), (fresh(dtype, 3, PriorUNet), (2, 24, 40))]
    cases += [(load_shipped(c, dtype), (2, 24, 32)) for c in shipped_cards()]
    for k, (denoiser, (n, h, w)) in enumerate(cases):
        x, sigma, r = random_case(dtype, n, h, w, 10 + k)
        d_ref, g_ref = autograd_vjp(denoiser, x, sigma, r)
        with torch.no_grad():
            d, g = EDMDenoiserVJP(denoiser)(x, sigma, r)
            saved = EDMSaving(denoiser)(x, sigma)
            g_split = EDMPullback(denoiser)(sigma, r, *saved[1:])
        worst = max(worst, rel(d, d_ref), rel(g, g_ref), rel(saved[0], d_ref), rel(g_split, g_ref))
    assert worst < tol, f"{dtype}: hand-written VJP differs from autograd by {worst:.2e} (tolerance {tol:g})"
    return worst


def test_hand_vjp_float64():
    print(f"float64 hand-written VJP vs autograd: {check_hand_vjp(torch.float64, 1e-12):.1e}")


def test_hand_vjp_float32():
    print(f"float32 hand-written VJP vs autograd: {check_hand_vjp(torch.float32, 1e-4):.1e}")


def test_onnx_files_and_card():
    for card in shipped_cards():
        check_onnx_files(card)


def check_onnx_files(card):
    import onnx
    limit = (1 << 20) if card["domain"] == "test" else (50 << 20)
    kinds = [("denoiser", ["x", "sigma"], ["denoised"]), ("vjp", ["x", "sigma", "r"], ["denoised", "vjp"])]
    if "saving" in card["files"]:
        saved = [f"saved_{k}" for k in range(len(EDMSaving(load_shipped(card, torch.float32)).layout) * 2)]
        kinds += [("saving", ["x", "sigma"], ["denoised", *saved]), ("pullback", ["sigma", "r", *saved], ["vjp"])]
    for kind, inputs, outputs in kinds:
        path = os.path.join(HERE, card["files"][kind])
        assert os.path.getsize(path) < limit, f"{path} is over {limit >> 20} MB"
        with open(path, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == card["sha256"][kind], f"{path}: sha256 differs from the card"
        model = onnx.load(path)
        onnx.checker.check_model(model)
        assert [i.name for i in model.graph.input] == inputs
        assert [o.name for o in model.graph.output] == outputs
        for v in list(model.graph.input) + list(model.graph.output):
            if v.name.startswith("saved_"):
                continue  # per-level activations: their own dynamic sizes
            dims = [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            expected = ["N"] if v.name == "sigma" else ["N", 1, "H", "W"]
            assert dims == expected, f"{kind}.{v.name}: dims {dims}, expected {expected}"


NODE_RUNNER = r"""
const ort = require('onnxruntime-node')
let text = ''
process.stdin.on('data', (c) => (text += c)).on('end', async () => {
  const { path, feeds } = JSON.parse(text)
  const session = await ort.InferenceSession.create(path)
  const inputs = {}
  for (const [k, v] of Object.entries(feeds)) inputs[k] = new ort.Tensor('float32', Float32Array.from(v.data), v.dims)
  const out = await session.run(inputs)
  const res = {}
  for (const k of session.outputNames) res[k] = { dims: out[k].dims, data: Array.from(out[k].data) }
  process.stdout.write(JSON.stringify(res))
})
"""


def onnx_runner():
    """A function (path, {name: float32 tensor}) -> {name: tensor}, and its name; or (None, why)."""
    try:
        import onnxruntime
        def run(path, feeds):
            sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            out = sess.run(None, {k: v.numpy() for k, v in feeds.items()})
            return {o.name: torch.from_numpy(a) for o, a in zip(sess.get_outputs(), out)}
        return run, "onnxruntime (Python)"
    except ImportError:
        pass
    try:
        from onnx.reference import ReferenceEvaluator
        def run(path, feeds):
            ev = ReferenceEvaluator(path)
            out = ev.run(None, {k: v.numpy() for k, v in feeds.items()})
            return {name: torch.from_numpy(a) for name, a in zip(ev.output_names, out)}
        return run, "onnx.reference"
    except ImportError:
        pass
    node = shutil.which("node")
    if node and os.path.isdir(os.path.join(REPO, "node_modules", "onnxruntime-node")):
        def run(path, feeds):
            payload = {"path": path, "feeds": {k: {"dims": list(v.shape), "data": v.flatten().tolist()}
                                               for k, v in feeds.items()}}
            p = subprocess.run([node, "-e", NODE_RUNNER], input=json.dumps(payload), capture_output=True,
                               text=True, cwd=REPO, check=True)
            return {k: torch.tensor(v["data"], dtype=torch.float32).reshape(v["dims"])
                    for k, v in json.loads(p.stdout).items()}
        return run, "onnxruntime-node via node"
    return None, "no ONNX runtime (onnxruntime, onnx.reference, or node with node_modules/onnxruntime-node)"


def test_onnx_matches_autograd():
    run, name = onnx_runner()
    if run is None:
        print(f"SKIP ONNX numerical comparison: {name}; test/models/ covers it with onnxruntime-node")
        return
    for card in shipped_cards():
        check_onnx_numbers(card, run, name)


def check_onnx_numbers(card, run, name):
    denoiser = load_shipped(card, torch.float64)
    m = card["input"]["multiple"]
    worst = 0.0
    for seed, (n, h, w) in ((20, (1, 4.5, 6.5)), (21, (2, 2, 1))):  # sizes the export never saw
        h, w = int(h * 2 * m), int(w * 2 * m)
        x, sigma, r = random_case(torch.float64, n, h, w, seed)
        # float32 inputs, and a float64 reference computed from exactly those float32 values
        x, sigma, r = x.float(), sigma.float(), r.float()
        d_ref, g_ref = autograd_vjp(denoiser, x.double(), sigma.double(), r.double())
        out = run(os.path.join(HERE, card["files"]["denoiser"]), {"x": x, "sigma": sigma})
        outv = run(os.path.join(HERE, card["files"]["vjp"]), {"x": x, "sigma": sigma, "r": r})
        errs = [rel(out["denoised"].double(), d_ref), rel(outv["denoised"].double(), d_ref),
                rel(outv["vjp"].double(), g_ref)]
        if "saving" in card["files"]:
            saved = run(os.path.join(HERE, card["files"]["saving"]), {"x": x, "sigma": sigma})
            feeds = {k: v for k, v in saved.items() if k.startswith("saved_")}
            pulled = run(os.path.join(HERE, card["files"]["pullback"]), {"sigma": sigma, "r": r, **feeds})
            errs += [rel(saved["denoised"].double(), d_ref), rel(pulled["vjp"].double(), g_ref)]
        worst = max(worst, *errs)
    assert worst < 1e-4, f"{card['id']}: ONNX ({name}) differs from float64 autograd by {worst:.2e}"
    print(f"{card['id']}: ONNX graphs ({name}) vs float64 autograd: {worst:.1e}")


if __name__ == "__main__":
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]
    for t in tests:
        t()
        print("ok", t.__name__)
    print(f"{len(tests)} passed, 0 failed")
