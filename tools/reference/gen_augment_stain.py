"""Reference values for @radix/augment's stain operations (packages/augment/src/stain).

Run with Debian's /usr/bin/python3 (scikit-image 0.19, numpy, PIL):
    /usr/bin/python3 tools/reference/gen_augment_stain.py
Writes packages/augment/fixtures/augment-stain.json:
  * rgb2hed: skimage.color.rgb2hed on a 24x24 crop of the bundled IHC image (input uint8 / 255),
    and the hed2rgb round trip of that result;
  * macenko: the Macenko et al. (2009) stain matrix and 99th-percentile concentrations of the whole
    IHC image. No Macenko package is installed, so this is a numpy implementation of the formulas as
    the paper and its common implementations document them: OD = -log((I + 1) / Io), drop pixels with any
    OD channel < beta, eigenvectors of the OD covariance (the two largest), angles of the projected
    pixels, the alpha / 100 - alpha percentiles (numpy linear interpolation), the vector with the larger
    red OD component is haematoxylin; concentrations by least squares, maxC = 99th percentile.
"""
import json
import os

import numpy as np
from PIL import Image
from skimage.color import hed2rgb, rgb2hed

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
FIX = os.path.join(ROOT, 'packages', 'augment', 'fixtures')

img = np.asarray(Image.open(os.path.join(FIX, 'ihc.png')).convert('RGB'))
Y0, X0, S = 200, 240, 24
crop = img[Y0:Y0 + S, X0:X0 + S]
hed = rgb2hed(crop.astype(np.float64) / 255.0)
back = hed2rgb(hed)


def macenko(I, Io=240, alpha=1, beta=0.15):
    od = -np.log((I.reshape(-1, 3).astype(np.float64) + 1) / Io)
    odhat = od[~np.any(od < beta, axis=1)]
    w, v = np.linalg.eigh(np.cov(odhat.T))
    plane = v[:, 1:3]
    if plane[:, 1].sum() < 0:
        plane[:, 1] *= -1
    t = odhat @ plane
    phi = np.arctan2(t[:, 1], t[:, 0])
    lo, hi = np.percentile(phi, alpha), np.percentile(phi, 100 - alpha)
    v1 = plane @ np.array([np.cos(lo), np.sin(lo)])
    v2 = plane @ np.array([np.cos(hi), np.sin(hi)])
    he = np.array([v1, v2]).T if v1[0] > v2[0] else np.array([v2, v1]).T
    he = he * np.sign(he.sum(axis=0))
    c = np.linalg.lstsq(he, od.T, rcond=None)[0]
    maxc = np.array([np.percentile(c[0], 99), np.percentile(c[1], 99)])
    return he, maxc, int(odhat.shape[0])


he, maxc, kept = macenko(img)
out = {
    'generator': 'tools/reference/gen_augment_stain.py',
    'rgb2hed': {
        'crop': [Y0, X0, S],
        'input': crop.reshape(-1).tolist(),
        'hed': hed.reshape(-1).tolist(),
        'roundtrip': back.reshape(-1).tolist(),
    },
    'macenko': {'Io': 240, 'alpha': 1, 'beta': 0.15, 'stainMatrix': he.tolist(), 'maxC': maxc.tolist(), 'kept': kept},
}
with open(os.path.join(FIX, 'augment-stain.json'), 'w') as f:
    json.dump(out, f)
print('stain matrix (columns H, second stain):', he.tolist(), 'maxC', maxc.tolist(), 'kept', kept)
