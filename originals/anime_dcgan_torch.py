"""The blog's DCGAN on 96x96 anime faces (S2) in PyTorch, as FangYang's code ran in 2018.

Section 4 of seed 001 ("实现DCGAN", FangYang's 2018 post): FangYang970206/Anime_GAN
`DCGAN/model.py` (Generate, Discriminator, weight_init), `AnimeDataset.py` and `main.py`
(the argparse defaults, Adam 1e-4 with betas (0.5, 0.999), BCELoss, batch 64, 500 epochs, and
per batch: D on real (target 1) and on generate(noise) (target 0, not detached), one step;
then G on generate(noise) run again on the same noise (target 1), one step). In the posts'
order and with their names, typos included (`__convtrans_bolck`, `conv_bolok2`). What had to
change for it to run today, and the old behaviour emulated, one line each:

- Normalisation: SPEC's decision, the upstream fix `(img - 127.5) / 127.5` ([-1, 1]) instead
  of the seed's `img - 127.5/127.5` (= img - 1, range [-1, 254]), which
  `AnimeDataset(..., posted_scaling=True)` computes.
- `scipy.misc.imread` (removed in SciPy 1.2) is PIL's decoding, which it called:
  `np.asarray(Image.open(path))`.
- `import torch.functional as F` (unused) is dropped.
- Emulated: Adam and BCELoss compute what PyTorch 0.4 computed (`originals.pytorch_era`: eps
  added to sqrt(v) before the bias correction; log(p + 1e-12)).
- main.py's batch is the function `train_batch(..., inp, noise)` with the noise as an argument
  (main.py: `torch.randn(B, 100, 1, 1)`), so the side-by-side can give both programs the same
  noise; `build` is main.py from the models to the optimisers, `main` its loop and files
  (`scipy.misc.imsave`, removed, is PIL with scipy's min-max bytescale; tqdm's bar is a
  print of the same `D:..., G:...` text; `--pre_train`, which re-initialised the loaded
  models anyway, is left out). utils.py's `creat_gif` and `visualize_loss` are copied in.

`sidebyside.s2` runs `train_batch` beside the port (`keras_models/dcgan.py`).
"""
import argparse
import os

import numpy as np
import torch
import torch.nn as nn
import torch.utils.data

from originals.pytorch_era import Adam, BCELoss


# ##### model.py

class Generate(nn.Module):
    def __init__(self, input_dim=100):
        super(Generate, self).__init__()
        channel = [512, 256, 128, 64, 3]
        kernel_size = 4
        stride = 2
        padding = 1
        self.convtrans1_block = self.__convtrans_bolck(input_dim, channel[0], 6, padding=0, stride=stride)
        self.convtrans2_block = self.__convtrans_bolck(channel[0], channel[1], kernel_size, padding, stride)
        self.convtrans3_block = self.__convtrans_bolck(channel[1], channel[2], kernel_size, padding, stride)
        self.convtrans4_block = self.__convtrans_bolck(channel[2], channel[3], kernel_size, padding, stride)
        self.convtrans5_block = self.__convtrans_bolck(channel[3], channel[4], kernel_size, padding, stride, layer="last_layer")

    def __convtrans_bolck(self, in_channel, out_channel, kernel_size, padding, stride, layer=None):
        if layer == "last_layer":
            convtrans = nn.ConvTranspose2d(in_channel, out_channel, kernel_size, stride, padding, bias=False)
            tanh = nn.Tanh()
            return nn.Sequential(convtrans, tanh)
        else:
            convtrans = nn.ConvTranspose2d(in_channel, out_channel, kernel_size, stride, padding, bias=False)
            batch_norm = nn.BatchNorm2d(out_channel)
            relu = nn.ReLU(True)
            return nn.Sequential(convtrans, batch_norm, relu)

    def forward(self, inp):
        x = self.convtrans1_block(inp)
        x = self.convtrans2_block(x)
        x = self.convtrans3_block(x)
        x = self.convtrans4_block(x)
        x = self.convtrans5_block(x)
        return x


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        channels = [3, 64, 128, 256, 512]
        kernel_size = 4
        stride = 2
        padding = 1
        self.conv_bolck1 = self.__conv_block(channels[0], channels[1], kernel_size, stride, padding, "first_layer")
        self.conv_bolok2 = self.__conv_block(channels[1], channels[2], kernel_size, stride, padding)
        self.conv_bolok3 = self.__conv_block(channels[2], channels[3], kernel_size, stride, padding)
        self.conv_bolok4 = self.__conv_block(channels[3], channels[4], kernel_size, stride, padding)
        self.conv_bolok5 = self.__conv_block(channels[4], 1, kernel_size + 1, stride, 0, "last_layer")

    def __conv_block(self, inchannel, outchannel, kernel_size, stride, padding, layer=None):
        if layer == "first_layer":
            conv = nn.Conv2d(inchannel, outchannel, kernel_size, stride, padding, bias=False)
            leakrelu = nn.LeakyReLU(0.2, inplace=True)
            return nn.Sequential(conv, leakrelu)
        elif layer == "last_layer":
            conv = nn.Conv2d(inchannel, outchannel, kernel_size, stride, padding, bias=False)
            sigmoid = nn.Sigmoid()
            return nn.Sequential(conv, sigmoid)
        else:
            conv = nn.Conv2d(inchannel, outchannel, kernel_size, stride, padding, bias=False)
            batchnorm = nn.BatchNorm2d(outchannel)
            leakrelu = nn.LeakyReLU(0.2, inplace=True)
            return nn.Sequential(conv, batchnorm, leakrelu)

    def forward(self, inp):
        x = self.conv_bolck1(inp)
        x = self.conv_bolok2(x)
        x = self.conv_bolok3(x)
        x = self.conv_bolok4(x)
        x = self.conv_bolok5(x)
        return x


def weight_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        m.weight.data.normal_(0, 0.01)
    elif classname.find('BatchNorm') != -1:
        m.weight.data.normal_(1.0, 0.01)
        m.bias.data.fill_(0)


# ##### AnimeDataset.py

def imread(path):
    """scipy.misc.imread: PIL's decoding as a uint8 array."""
    from PIL import Image
    return np.asarray(Image.open(path))


class AnimeDataset(torch.utils.data.Dataset):
    def __init__(self, directory, dataset, size_per_dataset, posted_scaling=False):
        self.posted_scaling = posted_scaling  # the seed's img - 127.5/127.5 (SPEC: the fix)
        self.directory = directory
        self.dataset = dataset
        self.size_per_dataset = size_per_dataset
        self.data_files = []
        data_path = os.path.join(directory, dataset)
        for i in range(size_per_dataset):
            self.data_files.append(os.path.join(data_path, "{}.jpg".format(i)))

    def __getitem__(self, ind):
        path = self.data_files[ind]
        img = imread(path)
        if self.posted_scaling:
            img = img.transpose(2, 0, 1) - 127.5/127.5  # the seed as printed: img - 1
        else:
            img = (img.transpose(2, 0, 1) - 127.5) / 127.5  # SPEC: the upstream fix, [-1, 1]
        return img

    def __len__(self):
        return len(self.data_files)


# ##### main.py

def build(lr=0.0001, beta1=0.5, device="cpu"):
    """main.py from the models to the optimisers (without --pre_train)."""
    generate = Generate().to(device)
    discriminator = Discriminator().to(device)
    generate.apply(weight_init)
    discriminator.apply(weight_init)
    criterion = BCELoss().to(device)
    optimizer_G = Adam(generate.parameters(), lr=lr, betas=(beta1, 0.999))
    optimizer_D = Adam(discriminator.parameters(), lr=lr, betas=(beta1, 0.999))
    return generate, discriminator, criterion, optimizer_G, optimizer_D


def train_batch(generate, discriminator, criterion, optimizer_G, optimizer_D, inp, noise,
                device="cpu"):
    """One batch of main.py's loop; `noise` is its torch.randn(inp.size()[0], 100, 1, 1)."""
    # train discriminator
    real_data = inp.float().to(device)
    real_label = torch.ones(inp.size()[0]).to(device)
    noise = noise.to(device)
    fake_data = generate(noise)
    fake_label = torch.zeros(fake_data.size()[0]).to(device)
    optimizer_D.zero_grad()
    real_output = discriminator(real_data)
    real_loss = criterion(real_output.squeeze(), real_label)
    real_loss.backward()
    fake_output = discriminator(fake_data)
    fake_loss = criterion(fake_output.squeeze(), fake_label)
    fake_loss.backward()
    loss_D = real_loss + fake_loss
    optimizer_D.step()

    # train generate
    optimizer_G.zero_grad()
    fake_data = generate(noise)
    fake_label = torch.ones(fake_data.size()[0]).to(device)
    fake_output = discriminator(fake_data)
    loss_G = criterion(fake_output.squeeze(), fake_label)
    loss_G.backward()
    optimizer_G.step()
    return loss_D, loss_G


# ##### utils.py

def creat_gif(gif_name, img_path, duration=0.3):
    import imageio
    frames = []
    img_names = os.listdir(img_path)
    img_list = [os.path.join(img_path, img_name) for img_name in img_names]
    for img_name in img_list:
        frames.append(imageio.imread(img_name))
    imageio.mimsave(gif_name, frames, 'GIF', duration=duration)


def visualize_loss(generate_txt_path, discriminator_txt_path):
    import matplotlib.pyplot as plt
    with open(generate_txt_path, 'r') as f:
        G_list_str = f.readlines()
    with open(discriminator_txt_path, 'r') as f:
        D_list_str = f.readlines()
    D_list_float, G_list_float = [], []
    for D_item, G_item in zip(D_list_str, G_list_str):
        D_list_float.append(float(D_item.strip().split(':')[-1]))
        G_list_float.append(float(G_item.strip().split(':')[-1]))
    list_epoch = list(range(len(D_list_float)))
    full_path = os.path.join(os.getcwd(), "saved/logging.png")
    plt.figure()
    plt.plot(list_epoch, G_list_float, label="generate", color='g')
    plt.plot(list_epoch, D_list_float, label="discriminator", color='b')
    plt.legend()
    plt.title("DCGAN_Anime")
    plt.xlabel("epoch")
    plt.ylabel("loss")
    plt.savefig(full_path)


def imsave(path, array):
    """scipy.misc.imsave: the float grid stretched to its own min-max (bytescale), as PNG."""
    from PIL import Image
    low, high = array.min(), array.max()
    scaled = (array - low) * 255 / max(high - low, 1e-12)
    Image.fromarray((scaled + 0.5).astype(np.uint8)).save(path)


def main(argv=None):
    """main.py's run: 500 epochs over faces/0.jpg ... faces/29999.jpg in the working folder."""
    parse = argparse.ArgumentParser()
    parse.add_argument("--lr", type=float, default=0.0001)
    parse.add_argument("--beta1", type=float, default=0.5)
    parse.add_argument("--batch_size", type=int, default=64)
    parse.add_argument("--dataset", type=str, default="faces")
    parse.add_argument("--epochs", type=int, default=500)
    parse.add_argument("--loaders", type=int, default=4)
    parse.add_argument("--size_per_dataset", type=int, default=30000)
    args = parse.parse_args(argv)
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    if not os.path.exists("saved"):
        os.mkdir("saved")
    if not os.path.exists("saved/img"):
        os.mkdir("saved/img")
    if not os.path.exists("faces"):
        print("Don't find the dataset directory, please copy the link in website ,download "
              "and extract faces.tar.gz .")
        return
    generate, discriminator, criterion, optimizer_G, optimizer_D = build(args.lr, args.beta1,
                                                                          device)
    dataset = AnimeDataset(os.getcwd(), args.dataset, args.size_per_dataset)
    dataload = torch.utils.data.DataLoader(dataset, batch_size=args.batch_size, shuffle=True,
                                           num_workers=4)
    fixed_noise = torch.randn(64, 100, 1, 1).to(device)
    for epoch in range(args.epochs):
        print("Main epoch{}:".format(epoch))
        loss_d, loss_g = 0, 0
        for i, inp in enumerate(dataload):
            noise = torch.randn(inp.size()[0], 100, 1, 1).to(device)
            loss_D, loss_G = train_batch(generate, discriminator, criterion, optimizer_G,
                                         optimizer_D, inp, noise, device)
            print("D:{}, G:{}".format(loss_D.item(), loss_G.item()))
            loss_g += loss_G.item()
            loss_d += loss_D.item()
        loss_g /= (i + 1)
        loss_d /= (i + 1)
        with open("generate_loss.txt", 'a+') as f:
            f.write("loss_G:{} \n".format(loss_G.item()))
        with open("discriminator_loss.txt", 'a+') as f:
            f.write("loss_D:{} \n".format(loss_D.item()))
        if epoch % 20 == 0:
            torch.save(generate, os.path.join(os.getcwd(), "saved/generate.t7"))
            torch.save(discriminator, os.path.join(os.getcwd(), "saved/discriminator.t7"))
            img = generate(fixed_noise).to("cpu").detach().numpy()
            display_grid = np.zeros((8 * 96, 8 * 96, 3))
            for j in range(int(64 / 8)):
                for k in range(int(64 / 8)):
                    display_grid[j * 96:(j + 1) * 96, k * 96:(k + 1) * 96, :] = \
                        (img[k + 8 * j].transpose(1, 2, 0) + 1) / 2
            imsave(os.path.join(os.getcwd(), "saved/img/{}.png".format(epoch)), display_grid)
    creat_gif("evolution.gif", os.path.join(os.getcwd(), "saved/img"))
    visualize_loss("generate_loss.txt", "discriminator_loss.txt")


if __name__ == "__main__":
    main()
