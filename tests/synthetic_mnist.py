"""Small synthetic MNIST look-alikes for the tests: digits drawn with Pillow's default font,
randomly scaled, rotated, shifted and blurred into 28x28 uint8 images. Never real MNIST, and
nothing downloaded. The ten classes are easy to tell apart, so a classifier learns them in
one short epoch, which is what the metrics' tests need."""
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from gantools.mnist import Mnist


def digit_images(labels, seed=0):
    rng = np.random.default_rng(seed)
    fonts = {size: ImageFont.load_default(size) for size in (18, 20, 22)}
    out = np.empty((len(labels), 28, 28), np.uint8)
    for i, label in enumerate(labels):
        image = Image.new("L", (28, 28), 0)
        font = fonts[int(rng.choice(list(fonts)))]
        dx, dy = rng.integers(-2, 3, size=2)
        ImageDraw.Draw(image).text((14 + dx, 14 + dy), str(int(label)), fill=255, font=font,
                                   anchor="mm")
        image = image.rotate(float(rng.uniform(-12, 12)), resample=Image.BILINEAR)
        image = image.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 0.8))))
        out[i] = np.asarray(image)
    return out


def synthetic_mnist(n_train=1200, n_test=400, seed=0):
    rng = np.random.default_rng(seed)
    y_train = rng.integers(0, 10, n_train).astype(np.uint8)
    y_test = rng.integers(0, 10, n_test).astype(np.uint8)
    return Mnist(digit_images(y_train, seed + 1), y_train, digit_images(y_test, seed + 2),
                 y_test, "synthetic")
