"""The blog's 1-D GAN on N(4, 1.25) (S4) in PyTorch, as the post ran it on PyTorch 0.2.

Section 2 of seed 002 (jiweibo's 2017 post, "GAN生成一维数据") is devnag's 2017
`pytorch-generative-adversarial-networks/gan_pytorch.py` with the post's changes: the layers
named fc1-fc3, one-sided label smoothing (targets `ones(1) * 0.95`, `zeros(1) * 0.95`), the
weights saved every print interval, and the final histogram of G applied to 1,000 values of
U[0, 1). The values are devnag's of 2017 (SPEC S4): N(4, 1.25), G 1-50-50-1 (elu, sigmoid,
linear), D 200-50-50-1 (elu, elu, sigmoid) on the "data and variances" of a set of 100
samples, Adam 2e-4 with betas (0.9, 0.999), 30,000 epochs of one D step and one G step. The
code follows the post's order and names. What had to change for it to run today, and the old
behaviour emulated, one line each:

- The targets are shaped (1, 1) like D's output: PyTorch 0.2 accepted the post's (1,);
  today's BCELoss refuses a shape mismatch.
- The post's Generator sets `self.dim = dim` with `dim` undefined (a NameError): dropped.
- `Variable(...)` (merged into tensors in PyTorch 0.4) is the tensor itself; `F.sigmoid` is
  `torch.sigmoid` (the same function, deprecated name); `extract` reads `v.detach()` instead of
  `v.data.storage()` (deprecated; the same list).
- Emulated: Adam and BCELoss compute what PyTorch 0.2 computed (`originals.pytorch_era`: eps
  added to sqrt(v) before the bias correction; log(p + 1e-12)).
- The post's module-level code is split into `build` (its "搭建模型"), `train_epoch` (one
  pass of its epoch loop, with the samplers as arguments so the side-by-side can give both
  programs the same draws) and `main` (the loop, the prints, d.pkl / g.pkl and the
  histogram).

`sidebyside.s4` runs `train_epoch` beside the port (`keras_models/gaussian_gan.py`).
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from originals.pytorch_era import Adam, BCELoss

# Data params
data_mean = 4
data_stddev = 1.25

# Model params
g_input_size = 1      # Random noise dimension coming into generator, per output vector
g_hidden_size = 50    # Generator complexity
g_output_size = 1     # size of generated output vector
d_input_size = 100    # Minibatch size - cardinality of distributions
d_hidden_size = 50    # Discriminator complexity
d_output_size = 1     # Single dimension for 'real' vs. 'fake'
minibatch_size = d_input_size

d_learning_rate = 2e-4
g_learning_rate = 2e-4
optim_betas = (0.9, 0.999)
num_epochs = 30000
print_interval = 200
d_steps = 1
g_steps = 1


# ##### DATA: Target data and generator input data

def get_distribution_sampler(mu, sigma):
    return lambda n: torch.Tensor(np.random.normal(mu, sigma, (1, n)))  # Gaussian


def get_generator_input_sampler():
    return lambda m, n: torch.rand(m, n)  # Uniform-dist data into generator, _NOT_ Gaussian


# ##### MODELS: Generator model and discriminator model

class Discriminator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(Discriminator, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, hidden_size)
        self.fc3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = F.elu(self.fc1(x))
        x = F.elu(self.fc2(x))
        return torch.sigmoid((self.fc3(x)))


class Generator(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(Generator, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, hidden_size)
        self.fc3 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = F.elu(self.fc1(x))
        x = torch.sigmoid(self.fc2(x))
        return self.fc3(x)


def extract(v):
    return v.detach().reshape(-1).tolist()


def stats(d):
    return [np.mean(d), np.std(d)]


def decorate_with_diffs(data, exponent):
    mean = torch.mean(data.data, 1, keepdim=True)
    mean_broadcast = torch.mul(torch.ones(data.size()), mean.tolist()[0][0])
    diffs = torch.pow(data - mean_broadcast, exponent)
    return torch.cat([data, diffs], 1)


# "Data and variances", devnag's 2017 choice
(name, preprocess, d_input_func) = ("Data and variances",
                                    lambda data: decorate_with_diffs(data, 2.0),
                                    lambda x: x * 2)


# ##### 搭建模型

def build(lr=d_learning_rate, betas=optim_betas):
    G = Generator(input_size=g_input_size, hidden_size=g_hidden_size,
                  output_size=g_output_size)
    D = Discriminator(input_size=d_input_func(d_input_size), hidden_size=d_hidden_size,
                      output_size=d_output_size)
    criterion = BCELoss()
    d_optimizer = Adam(D.parameters(), lr=lr, betas=betas)
    g_optimizer = Adam(G.parameters(), lr=lr, betas=betas)
    return G, D, criterion, d_optimizer, g_optimizer


# ##### 模型训练: one pass of `for epoch in range(num_epochs)`

def train_epoch(G, D, criterion, d_optimizer, g_optimizer, d_sampler, gi_sampler):
    for d_index in range(d_steps):
        # 1. Train D on real+fake
        D.zero_grad()
        #  1A: Train D on real
        d_real_data = d_sampler(d_input_size)
        d_real_decision = D(preprocess(d_real_data))
        d_real_error = criterion(d_real_decision, torch.ones(1, 1) * 0.95)
        d_real_error.backward()

        #  1B: Train D on fake
        d_gen_input = gi_sampler(minibatch_size, g_input_size)
        d_fake_data = G(d_gen_input).detach()  # detach to avoid training G on these labels
        d_fake_decision = D(preprocess(d_fake_data.t()))
        d_fake_error = criterion(d_fake_decision, torch.zeros(1, 1) * 0.95)
        d_fake_error.backward()
        d_optimizer.step()

    for g_index in range(g_steps):
        # 2. Train G on D's response (but DO NOT train D on these labels)
        G.zero_grad()

        gen_input = gi_sampler(minibatch_size, g_input_size)
        g_fake_data = G(gen_input)
        dg_fake_decision = D(preprocess(g_fake_data.t()))
        g_error = criterion(dg_fake_decision, torch.ones(1, 1) * 0.95)

        g_error.backward()
        g_optimizer.step()
    return d_real_error, d_fake_error, g_error, d_real_data, d_fake_data


def main(out='.'):
    """The post's run: the loop with its prints and saves, then the histogram."""
    import matplotlib.pyplot as plt
    d_sampler = get_distribution_sampler(data_mean, data_stddev)
    gi_sampler = get_generator_input_sampler()
    G, D, criterion, d_optimizer, g_optimizer = build()
    for epoch in range(num_epochs):
        d_real_error, d_fake_error, g_error, d_real_data, d_fake_data = train_epoch(
            G, D, criterion, d_optimizer, g_optimizer, d_sampler, gi_sampler)
        if epoch % print_interval == 0:
            print("%s: D: %s/%s G: %s (Real: %s, Fake: %s) " % (epoch,
                                                                extract(d_real_error)[0],
                                                                extract(d_fake_error)[0],
                                                                extract(g_error)[0],
                                                                stats(extract(d_real_data)),
                                                                stats(extract(d_fake_data))))
            torch.save(D.state_dict(), os.path.join(out, 'd.pkl'))
            torch.save(G.state_dict(), os.path.join(out, 'g.pkl'))

    # 查看生成的数据
    if os.path.exists(os.path.join(out, 'g.pkl')):
        G.load_state_dict(torch.load(os.path.join(out, 'g.pkl')))
    if os.path.exists(os.path.join(out, 'd.pkl')):
        D.load_state_dict(torch.load(os.path.join(out, 'd.pkl')))
    fake_data = G(gi_sampler(1000, 1))
    fake_data = fake_data.data.numpy()
    print(np.mean(fake_data), np.std(fake_data))
    plt.hist(fake_data, bins=100)
    plt.show()


if __name__ == '__main__':
    main()
