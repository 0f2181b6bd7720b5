"""Signal- and image-processing kernels: convolutions by shifted slices, filters, bits."""
import numpy as np

from .case import Case

SMOOTH5 = (0.0625, 0.25, 0.375, 0.25, 0.0625)
SOBEL_X = ((-1.0, 0.0, 1.0), (-2.0, 0.0, 2.0), (-1.0, 0.0, 1.0))


def conv1d_shifted(x, k=SMOOTH5):
    n = x.shape[0] - len(k) + 1
    out = np.zeros(n)
    for j, kj in enumerate(k):
        out += kj * x[j:j + n]
    return out


def conv1d_array_kernel(x, w):
    m = w.shape[0]
    n = x.shape[-1] - m + 1
    acc = w[0] * x[..., 0:n]
    for j in range(1, m):
        acc = acc + w[j] * x[..., j:j + n]
    return acc


def conv2d_3x3(img, k):
    h, w = img.shape
    out = np.zeros((h - 2, w - 2))
    for di in range(3):
        for dj in range(3):
            out += k[di, dj] * img[di:di + h - 2, dj:dj + w - 2]
    return out


def sobel_magnitude(img):
    gx = np.zeros((img.shape[0] - 2, img.shape[1] - 2))
    gy = np.zeros_like(gx)
    for i, row in enumerate(SOBEL_X):
        for j, c in enumerate(row):
            patch = img[i:img.shape[0] - 2 + i, j:img.shape[1] - 2 + j]
            gx += c * patch
            gy += SOBEL_X[j][i] * patch
    return np.sqrt(gx ** 2 + gy ** 2), np.arctan2(gy, gx)


def box_blur(img):
    p = np.zeros((img.shape[0] + 2, img.shape[1] + 2))
    p[1:-1, 1:-1] = img
    s = p[:-2, :-2] + p[:-2, 1:-1] + p[:-2, 2:] + p[1:-1, :-2] + p[1:-1, 1:-1] + p[1:-1, 2:] \
        + p[2:, :-2] + p[2:, 1:-1] + p[2:, 2:]
    return s / 9.0


def gaussian_kernel(radius=3, sigma=1.2):
    ax = np.arange(-radius, radius + 1, dtype=np.float64)
    r2 = np.add.outer(ax ** 2, ax ** 2)
    k = np.exp(-r2 / (2.0 * sigma ** 2))
    return k / k.sum()


def separable_gaussian_blur(img, sigma=1.0):
    ax = np.arange(-2, 3)
    g = np.exp(-(ax ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    tmp = conv1d_array_kernel(img, g)
    return conv1d_array_kernel(tmp.T, g).T


def normalize_channels(img):
    mean = img.mean(axis=(0, 1), keepdims=True)
    std = img.std(axis=(0, 1), keepdims=True)
    return (img - mean) / std


def rgb_to_gray(img):
    return img @ np.array([0.299, 0.587, 0.114])


def rgb_to_hsv_value_sat(img):
    mx = img.max(axis=-1)
    mn = img.min(axis=-1)
    sat = np.divide(mx - mn, mx, out=np.zeros_like(mx), where=mx > 0)
    return mx, sat


def flips(img):
    return np.flip(img, axis=1), img[::-1], img[:, ::-1], np.flip(img)


def downsample2x(img):
    h, w = img.shape
    return img.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))


def max_pool2x2(img):
    h, w = img.shape
    blocks = img.reshape(h // 2, 2, w // 2, 2).transpose(0, 2, 1, 3).reshape(h // 2, w // 2, 4)
    return blocks.max(axis=-1), np.argmax(blocks, axis=-1)


def upsample2x(img):
    return np.repeat(np.repeat(img, 2, axis=0), 2, axis=1)


def tile_pattern(patch):
    return np.tile(patch, (3, 2)), np.tile(patch[0], 4)


def naive_dft(x):
    N = x.shape[0]
    n = np.arange(N)
    W = np.exp(-2j * np.pi * np.outer(n, n) / N)
    X = W @ x
    return X.real, X.imag, np.abs(X) ** 2 / N


def hann_window_apply(x):
    N = x.shape[-1]
    n = np.arange(N)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * n / (N - 1))
    return x * w, (w ** 2).sum()


def chirp(t, f0=1.0, f1=8.0):
    T = t[-1]
    k = (f1 - f0) / T
    return np.sin(2 * np.pi * (f0 * t + 0.5 * k * t ** 2)), np.cos(2 * np.pi * f0 * t)


def threshold_masks(img, lo=0.3, hi=0.7):
    fg = np.logical_and(img > lo, img < hi)
    edge = np.logical_or(img <= lo, img >= hi)
    bg = np.logical_not(fg)
    return fg, edge, bg, (fg & ~bg) | (edge ^ bg)


def bitplanes(img):
    planes = np.stack([(img >> k) & 1 for k in range(8)], axis=0)
    recon = np.zeros_like(img)
    for k in range(8):
        recon |= planes[k] << k
    return planes, recon


def xor_checksum(data):
    h = np.zeros(data.shape[1], dtype=np.int64)
    for i in range(data.shape[0]):
        h = ((h << 5) ^ (h >> 2) ^ data[i]) & 0xFFFF
    return h, ~h & 0xFF


def gamma_correct(img, gamma=2.2):
    return np.clip(np.power(img, 1.0 / gamma), 0.0, 1.0)


def median3(a, b, c):
    return np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))


def median_filter3_1d(x):
    return median3(x[:-2], x[1:-1], x[2:])


def pad_and_crop(img, pad=2):
    h, w = img.shape
    out = np.full((h + 2 * pad, w + 2 * pad), -1.0)
    out[pad:-pad, pad:-pad] = img
    return out, out[pad - 1:-pad + 1, pad - 1:-pad + 1].copy()


def stack_channels(r, g, b):
    rgb = np.stack([r, g, b], axis=-1)
    planar = np.concatenate([r[None], g[None], b[None]], axis=0)
    return rgb, planar, np.vstack([r, g]).shape


def contrast_stretch(img):
    lo = img.min()
    hi = img.max()
    return ((img - lo) / (hi - lo) * 255.0).astype(np.uint8)


def sliding_window_mean(x, w=4):
    c = np.cumsum(x, axis=-1)
    c = np.concatenate([np.zeros(x.shape[:-1] + (1,)), c], axis=-1)
    return (c[..., w:] - c[..., :-w]) / w


def unsharp_mask(img, amount=0.7):
    blurred = box_blur(img)
    return np.clip(img + amount * (img - blurred), 0.0, 1.0)


def _n(rng, *shape):
    return rng.standard_normal(shape)


CASES = [
    Case("conv1d_shifted", conv1d_shifted, lambda rng: (_n(rng, 30),)),
    Case("conv1d_array_kernel", conv1d_array_kernel, lambda rng: (_n(rng, 3, 20), _n(rng, 4))),
    Case("conv2d_3x3", conv2d_3x3, lambda rng: (rng.random((10, 12)), _n(rng, 3, 3))),
    Case("sobel_magnitude", sobel_magnitude, lambda rng: (rng.random((9, 11)),)),
    Case("box_blur", box_blur, lambda rng: (rng.random((7, 8)),)),
    Case("gaussian_kernel", gaussian_kernel, lambda rng: ()),
    Case("separable_gaussian_blur", separable_gaussian_blur, lambda rng: (rng.random((10, 12)),)),
    Case("normalize_channels", normalize_channels, lambda rng: (rng.random((6, 5, 3)),)),
    Case("rgb_to_gray", rgb_to_gray, lambda rng: (rng.random((6, 5, 3)),)),
    Case("rgb_to_hsv_value_sat", rgb_to_hsv_value_sat,
         lambda rng: (np.concatenate([rng.random((4, 5, 3)), np.zeros((1, 5, 3))]),)),
    Case("flips", flips, lambda rng: (_n(rng, 4, 5),)),
    Case("downsample2x", downsample2x, lambda rng: (rng.random((8, 6)),)),
    Case("max_pool2x2", max_pool2x2, lambda rng: (rng.random((6, 8)),)),
    Case("upsample2x", upsample2x, lambda rng: (rng.random((3, 4)),)),
    Case("tile_pattern", tile_pattern, lambda rng: (rng.random((2, 3)),)),
    Case("naive_dft", naive_dft, lambda rng: (_n(rng, 16),)),
    Case("hann_window_apply", hann_window_apply, lambda rng: (_n(rng, 3, 32),)),
    Case("chirp", chirp, lambda rng: (np.linspace(0.0, 2.0, 64),)),
    Case("threshold_masks", threshold_masks, lambda rng: (rng.random((6, 6)),)),
    Case("bitplanes", bitplanes, lambda rng: (rng.integers(0, 256, (5, 6), dtype=np.uint8),)),
    Case("xor_checksum", xor_checksum, lambda rng: (rng.integers(0, 256, (6, 4)),)),
    Case("gamma_correct", gamma_correct, lambda rng: (rng.random((5, 5)),)),
    Case("median_filter3_1d", median_filter3_1d, lambda rng: (_n(rng, 20),)),
    Case("pad_and_crop", pad_and_crop, lambda rng: (rng.random((4, 5)),)),
    Case("stack_channels", stack_channels, lambda rng: (rng.random((3, 4)), rng.random((3, 4)), rng.random((3, 4)))),
    Case("contrast_stretch", contrast_stretch, lambda rng: (rng.uniform(0.2, 0.6, (6, 6)),)),
    Case("sliding_window_mean", sliding_window_mean, lambda rng: (_n(rng, 2, 15),)),
    Case("unsharp_mask", unsharp_mask, lambda rng: (rng.random((6, 7)),)),
]
