"""The blog's MNIST MLP GAN (S5) in PyTorch, as the post's code ran on PyTorch 0.2.

Section 3 of seed 002 (jiweibo's 2017 post, "MNIST"): its Generator and Discriminator (two
hidden layers, ReLU, `F.dropout(x, p=0.2)`, tanh / sigmoid outputs), `build_model`, `fit` and
`show_sample_img`, in the post's order and with its names. The rest of the code
(jiweibo/Paper-Implementation GAN/mnist) is lost; the class around the methods, `gen_batch`,
`sampler`, `save_sample_img`, `save_model` and `load_model` are SPEC's decisions (S5), which
also give the values: hidden 256, Adam 2e-4 with betas (0.5, 0.999) for both nets, batches of
64, 100 epochs, smooth 0.1, d_steps 1, g_steps 1, sample_size 25, print_interval 100, noise
U(-1, 1) of size 100, MNIST scaled to [-1, 1]. What had to change for it to run today, and
the old behaviour emulated, one line each:

- Emulated: `F.dropout(x, p=0.2)` is written `F.dropout(x, p=0.2, training=False)`: on
  PyTorch 0.2 `training` defaulted to False and the call returned x (True since PyTorch 1.0).
- The fake target `torch.zeros(self.batch_size, 0)`, an empty tensor that today's BCELoss
  refuses, is `torch.zeros(self.batch_size, 1)`, as intended (SPEC; the port does the same).
- Emulated: Adam and BCELoss compute what PyTorch 0.2 computed (`originals.pytorch_era`: eps
  added to sqrt(v) before the bias correction; log(p + 1e-12)).
- `Variable(...)` (merged into tensors in PyTorch 0.4) is the tensor itself, `.data[0]` is
  `.item()`, `F.tanh` / `F.sigmoid` are `torch.tanh` / `torch.sigmoid` (the same functions).
- The body of `fit`'s batch loop after the noise draw ("Train D", "Train G") is the method
  `train_batch`, so the side-by-side can run it with the port's batch and noise.

`sidebyside.s5` runs `train_batch` beside the port (`keras_models/mnist_gan.py`).
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from originals.pytorch_era import Adam, BCELoss


# ##### 生成器

class Generator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(Generator, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, hidden_size)
        self.fc3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = F.dropout(F.relu(self.fc1(x)), p=0.2, training=False)  # PyTorch 0.2's default
        x = F.dropout(F.relu(self.fc2(x)), p=0.2, training=False)
        return torch.tanh(self.fc3(x))


# ##### 判别器

class Discriminator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size=1):
        super(Discriminator, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, hidden_size)
        self.fc3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = F.dropout(F.relu(self.fc1(x)), p=0.2, training=False)  # PyTorch 0.2's default
        x = F.dropout(F.relu(self.fc2(x)), p=0.2, training=False)
        return torch.sigmoid((self.fc3(x)))


class GAN:
    """The post's class (its name and constructor are lost; SPEC's values)."""

    def __init__(self, g_input_size=100, g_hidden_size=256, g_output_size=784,
                 d_input_size=784, d_hidden_size=256, d_output_size=1, d_lr=2e-4, g_lr=2e-4,
                 betas=(0.5, 0.999), batch_size=64, num_epoch=100, smooth=0.1, d_steps=1,
                 g_steps=1, sample_size=25, print_interval=100, out='.'):
        self.g_input_size, self.g_hidden_size, self.g_output_size = (
            g_input_size, g_hidden_size, g_output_size)
        self.d_input_size, self.d_hidden_size, self.d_output_size = (
            d_input_size, d_hidden_size, d_output_size)
        self.d_lr, self.g_lr, self.betas = d_lr, g_lr, betas
        self.batch_size, self.num_epoch, self.smooth = batch_size, num_epoch, smooth
        self.d_steps, self.g_steps = d_steps, g_steps
        self.sample_size, self.print_interval, self.out = sample_size, print_interval, out
        self.build_model()

    # ##### 搭建模型

    def build_model(self):
        self.G = Generator(input_size=self.g_input_size, hidden_size=self.g_hidden_size,
                           output_size=self.g_output_size)
        self.D = Discriminator(input_size=self.d_input_size, hidden_size=self.d_hidden_size,
                               output_size=self.d_output_size)
        self.load_model()
        self.criterion = BCELoss()
        self.d_optimizer = Adam(self.D.parameters(), self.d_lr, betas=self.betas)
        self.g_optimizer = Adam(self.G.parameters(), self.g_lr, betas=self.betas)

    # ##### 模型训练

    def fit(self, real_x):
        for epoch in range(self.num_epoch):
            for i, real_x_batch in enumerate(self.gen_batch(real_x)):
                d_real_data = torch.from_numpy(real_x_batch.astype(np.float32))
                gen_norm_data = np.random.uniform(-1, 1, size=(self.batch_size, 100))
                d_fake_input = torch.from_numpy(gen_norm_data.astype(np.float32))
                d_real_error_sum, d_fake_error_sum, g_error_sum = self.train_batch(
                    d_real_data, d_fake_input)

                if (i + 1) % self.print_interval == 0:
                    print("%s/%s--%s/%s: D: %s/%s G: %s)" % (
                        epoch, self.num_epoch,
                        i, len(real_x) // self.batch_size,
                        d_real_error_sum / self.print_interval,
                        d_fake_error_sum / self.print_interval,
                        g_error_sum / self.print_interval
                    ))

            d_fake_data = self.G(torch.from_numpy(
                np.random.uniform(-1, 1, size=(self.sample_size, 100)).astype(np.float32)))
            self.save_sample_img(d_fake_data.data.numpy(), epoch)

            if (epoch + 1) % 10 == 0:
                self.save_model(epoch)

    def train_batch(self, d_real_data, d_fake_input):
        """fit's loop body from its loss sums to G's steps; returns the three sums."""
        d_real_error_sum = 0.0
        d_fake_error_sum = 0.0
        g_error_sum = 0.0

        # Train D
        for _ in range(self.d_steps):
            self.D.zero_grad()
            d_real_decision = self.D(d_real_data)
            d_real_error = self.criterion(d_real_decision,
                                          torch.ones(self.batch_size, 1) * (1 - self.smooth))
            d_fake_data = self.G(d_fake_input).detach()
            d_fake_decision = self.D(d_fake_data)
            d_fake_error = self.criterion(d_fake_decision,
                                          torch.zeros(self.batch_size, 1) * (1 - self.smooth))
            d_error = d_fake_error + d_real_error
            d_error.backward()
            self.d_optimizer.step()

            d_real_error_sum += d_real_error.item()
            d_fake_error_sum += d_fake_error.item()

        # Train G
        for _ in range(self.g_steps):
            self.G.zero_grad()

            gen_input = d_fake_input
            g_fake_data = self.G(gen_input)
            dg_fake_decision = self.D(g_fake_data)
            g_error = self.criterion(dg_fake_decision,
                                     torch.ones(self.batch_size, 1) * (1 - self.smooth))
            g_error.backward()
            self.g_optimizer.step()

            g_error_sum += g_error.item()
        return d_real_error_sum, d_fake_error_sum, g_error_sum

    # ##### SPEC's stand-ins for the lost methods

    def gen_batch(self, real_x):
        """Full batches of the images in [-1, 1], in a new random order every epoch."""
        order = np.random.permutation(len(real_x))
        for start in range(0, len(real_x) - self.batch_size + 1, self.batch_size):
            yield real_x[order[start:start + self.batch_size]].reshape(
                self.batch_size, -1) / 127.5 - 1

    def sampler(self, fake):
        return self.G(torch.from_numpy(np.asarray(fake, np.float32))).data.numpy()

    def save_sample_img(self, data, epoch):
        fig, axes = show_sample_img(data, show=False)
        fig.savefig(os.path.join(self.out, 'epoch_{:03d}.png'.format(epoch)))
        import matplotlib.pyplot as plt
        plt.close(fig)

    def save_model(self, epoch):
        torch.save(self.G.state_dict(), os.path.join(self.out, 'G_{}.pkl'.format(epoch)))
        torch.save(self.D.state_dict(), os.path.join(self.out, 'D_{}.pkl'.format(epoch)))

    def load_model(self):
        pass  # the post's start-up load of saved models: nothing to load in a new run


# ##### 生成图片

def show_sample_img(data, show=True):
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(figsize=(7, 7), nrows=5,
                             ncols=5,
                             sharex=True, sharey=True)
    for ax, img in zip(axes.flatten(), data):
        ax.xaxis.set_visible(False)
        ax.yaxis.set_visible(False)
        im = ax.imshow(img.reshape((28, 28)), cmap='Greys_r')  # noqa: F841
    # plt.savefig('fake_samples.png')
    if show:
        plt.show()
    return fig, axes


def main(real_x):
    """The post's run on MNIST images (uint8, (n, 28, 28)), then its 5x5 figure."""
    model = GAN()
    model.fit(real_x)
    fake = np.random.uniform(-1, 1, size=(25, 100))
    res = model.sampler(fake)
    show_sample_img(res)
