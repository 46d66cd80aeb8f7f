"""Preprocess the training and validation images into one compact file per domain.

    /usr/bin/python3 models/prepare_data.py --data ../shared/data --out .train-data

writes `.train-data/mri-brain.npz` and `.train-data/natural-gray.npz` (uint8, a few tens of
MB; git-ignored), small enough to travel to a GPU machine with the working tree.

Normalisation is the app's (src-main/methods/diffusion.ts): MRI magnitude divided by its
maximum, 8-bit images divided by 255. Stored as uint8 of that [0, 1] image (the brain slices
are 8-bit JPEGs already; Colin27 is requantised, far below its noise).

Splits (see ../shared/data/README.md):
- mri-brain train: mri-slices/Training (all four classes) and Colin27 (ch2.nii.gz) sagittal
  slices of the left hemisphere (x < 80); validation: mri-slices/Testing and Colin27 sagittal
  slices of the right hemisphere (x > 100). Slices that are nearly empty (< 15 % of pixels
  above 5 % of the maximum) are dropped: they teach the prior only background.
- natural-gray train: natural/train400; validation: natural/bsd68.
"""
import argparse
import os

import numpy as np
from PIL import Image

BRAIN_SIZE = 224


def gray(path):
    return np.asarray(Image.open(path).convert("L"), dtype=np.float64)


def to_unit_uint8(img):
    m = img.max()
    if m <= 0:
        return None
    return np.clip(np.round(img / m * 255), 0, 255).astype(np.uint8)


def informative(u8):
    return (u8 > 0.05 * 255).mean() >= 0.15


def fit(img, size):
    """Centre crop / zero pad to size x size (brain slices are 224^2 already; Colin27 is not)."""
    out = np.zeros((size, size), img.dtype)
    h, w = img.shape
    sh, sw = max(0, (h - size) // 2), max(0, (w - size) // 2)
    crop = img[sh:sh + size, sw:sw + size]
    oh, ow = (size - crop.shape[0]) // 2, (size - crop.shape[1]) // 2
    out[oh:oh + crop.shape[0], ow:ow + crop.shape[1]] = crop
    return out


def brain_folder(root):
    imgs = []
    for cls in sorted(os.listdir(root)):
        for name in sorted(os.listdir(os.path.join(root, cls))):
            g = gray(os.path.join(root, cls, name))
            if g.shape != (BRAIN_SIZE, BRAIN_SIZE):
                g = np.asarray(Image.fromarray(g.astype(np.uint8)).resize((BRAIN_SIZE, BRAIN_SIZE), Image.BICUBIC), np.float64)
            u = to_unit_uint8(g)
            if u is not None and informative(u):
                imgs.append(u)
    return np.stack(imgs)


def colin_sagittal(data, xs):
    import nibabel as nib
    vol = np.asarray(nib.load(os.path.join(data, "mri-volumes/colin27/ch2.nii.gz")).get_fdata(), np.float64)
    out = []
    for x in xs:
        s = np.rot90(vol[x, :, :])  # (z, y): superior up
        u = to_unit_uint8(fit(s, BRAIN_SIZE))
        if u is not None and informative(u):
            out.append(u)
    return np.stack(out)


def natural(folder):
    return np.stack([gray(os.path.join(folder, n)).astype(np.uint8) for n in sorted(os.listdir(folder)) if n.endswith(".png")])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", ".train-data"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    d = args.data

    train = np.concatenate([brain_folder(os.path.join(d, "mri-slices/Training")), colin_sagittal(d, range(10, 80))])
    val_slices = brain_folder(os.path.join(d, "mri-slices/Testing"))
    val_colin = colin_sagittal(d, range(101, 171, 5))
    np.savez_compressed(os.path.join(args.out, "mri-brain.npz"), train=train, val=val_slices, val_colin=val_colin)
    print("mri-brain", train.shape, val_slices.shape, val_colin.shape)

    # train400 images differ in size? (all 180x180 in the shared copy); bsd68 are 481x321 / 321x481.
    tr = natural(os.path.join(d, "natural/train400"))
    bsd = [gray(os.path.join(d, "natural/bsd68", n)).astype(np.uint8) for n in sorted(os.listdir(os.path.join(d, "natural/bsd68")))
           if n.endswith(".png")]
    np.savez_compressed(os.path.join(args.out, "natural-gray.npz"), train=tr,
                        **{f"val_{i:02d}": v for i, v in enumerate(bsd)})
    print("natural-gray", tr.shape, len(bsd))


if __name__ == "__main__":
    main()
