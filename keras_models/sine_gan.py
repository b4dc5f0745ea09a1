"""The Keras sine-curve GAN with a frozen-discriminator chained model (program S9).

Ports the Keras example of seed document 004 (a Jianshu translation of Robin Ricard's
"Generative Adversarial Networks Part 2 - Implementation with Keras 2.0", 2017), completed
from the original post where the translation leaves code out (SPEC S9). Names and order are
the post's: sample_data, get_generative, get_discriminative, set_trainability, make_gan,
sample_data_and_gen, sample_noise, pretrain, train, and the notebook's flow (`notebook`). G
12,250 and D 115,452 parameters. The command line (flags, summary) is
keras_models/sine_gan_cli.py.

Keras 2.0's semantics kept (README, "S9"): Adam's epsilon 1e-8; Keras 2.0's clipped
binary_crossentropy (gantools.keras2_compat); `set_trainability` before every D and chained step,
which Keras 3 reads when a step is traced, so each step trains only its own model.

Deliberate differences from the post (README, "S9: differences"):
- Keras 3 APIs (`keras.Input`, `learning_rate=`, the loss given as a registered function).
- `G.predict(noise)` is `G.predict_on_batch(noise)` (same numbers, no progress bar per call).
- `sample_data` draws all offsets and multipliers at once (same distributions).
- Seeded NumPy generators; figures and metrics draw from a stream of their own.
- `train` calls the run's services (gantools.run.runner.Run): it resumes at a checkpoint's
  epoch, logs each epoch's losses, shows a progress bar instead of tqdm, and draws a frame
  every `v_freq` epochs beside the post's "Epoch #..." line.
- Figures saved as PNGs with matplotlib (the post's pandas plots), plus evolution.gif,
  losses.csv, metrics.json (sine-fit metrics) and checkpoints for `--resume` (the models
  as .keras, the NumPy and Dropout random states in the checkpoint's state).
- Unused as in the post: `train`'s `batch_size` and `get_discriminative`'s `leak`.

`--variant stable` is keras_models/sine_gan_stable.py (it overrides builders and loop); the
figures, metrics' curves and saved models are keras_models/sine_gan_extras.py's.
"""
import numpy as np
import keras
from keras import Input, Model
from keras.layers import Activation, Conv1D, Dense, Dropout, Flatten, Reshape
from keras.optimizers import SGD, Adam

from gantools.run import runner
from gantools.curves import sine_curve_metrics
from gantools.run.launch import quiet_runtime_noise
from gantools.keras2_compat import keras2_binary_crossentropy

X_VALS = np.arange(0, 5, .1)  # the 50 x values of every curve
ADAM_EPSILON = 1e-8           # Keras 2.0's default (Keras 3's: 1e-7)
# The post's loss='binary_crossentropy', as Keras 2.0 computed it; registered, so that the
# models' .keras files load with it.
binary_crossentropy = keras.saving.register_keras_serializable('sine_gan')(
    keras2_binary_crossentropy)



def sample_data(n_samples=10000, x_vals=X_VALS, max_offset=100, mul_range=(1, 2),
                rng=np.random):
    offset = rng.random(n_samples) * max_offset
    mul = mul_range[0] + rng.random(n_samples) * (mul_range[1] - mul_range[0])
    return np.sin(offset[:, None] + x_vals * mul[:, None]) / 2 + .5


def get_generative(G_in, dense_dim=200, out_dim=50, lr=1e-3):
    x = Dense(dense_dim)(G_in)
    x = Activation('tanh')(x)
    G_out = Dense(out_dim, activation='tanh')(x)
    G = Model(G_in, G_out)
    opt = SGD(learning_rate=lr)
    G.compile(loss=binary_crossentropy, optimizer=opt)  # only to own `opt`: see make_gan
    return G, G_out


def get_discriminative(D_in, lr=1e-3, drate=.25, n_channels=50, conv_sz=5, leak=.2):
    x = Reshape((-1, 1))(D_in)
    x = Conv1D(n_channels, conv_sz, activation='relu')(x)
    x = Dropout(drate)(x)
    x = Flatten()(x)
    x = Dense(n_channels)(x)
    D_out = Dense(2, activation='sigmoid')(x)
    D = Model(D_in, D_out)
    dopt = Adam(learning_rate=lr, epsilon=ADAM_EPSILON)
    D.compile(loss=binary_crossentropy, optimizer=dopt)
    return D, D_out


def set_trainability(model, trainable=False):
    model.trainable = trainable
    for layer in model.layers:
        layer.trainable = trainable


def make_gan(GAN_in, G, D):
    set_trainability(D, False)
    x = G(GAN_in)
    GAN_out = D(x)
    GAN = Model(GAN_in, GAN_out)
    GAN.compile(loss=binary_crossentropy, optimizer=G.optimizer)
    return GAN, GAN_out


def sample_data_and_gen(G, noise_dim=10, n_samples=10000, rng=np.random):
    """n real curves then n generated ones, labelled [0, 1] (real) and [1, 0] (fake)."""
    XT = sample_data(n_samples=n_samples, rng=rng)
    XN_noise = rng.uniform(0, 1, size=[n_samples, noise_dim])
    XN = G.predict_on_batch(XN_noise)
    X = np.concatenate((XT, XN))
    y = np.zeros((2 * n_samples, 2))
    y[:n_samples, 1] = 1
    y[n_samples:, 0] = 1
    return X, y


def sample_noise(G, noise_dim=10, n_samples=10000, rng=np.random):
    """Noise labelled real, [0, 1]: the chained model's target."""
    X = rng.uniform(0, 1, size=[n_samples, noise_dim])
    y = np.zeros((n_samples, 2))
    y[:, 1] = 1
    return X, y


def pretrain(G, D, noise_dim=10, n_samples=10000, batch_size=32, rng=np.random,
             verbose='auto'):
    """One epoch of D.fit on n real and n generated curves; returns its mean loss."""
    X, y = sample_data_and_gen(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
    set_trainability(D, True)
    history = D.fit(X, y, epochs=1, batch_size=batch_size, verbose=verbose)
    return history.history['loss'][-1]


def train(GAN, G, D, epochs=500, n_samples=10000, noise_dim=10, batch_size=32,
          verbose=False, v_freq=50, rng=np.random, run=None, frame=None):
    """The post's loop. `run` (gantools.run.runner.Run) resumes it at its checkpoint's epoch and
    logs each epoch's losses (the progress bar replaces tqdm); `frame(epochs_done)` draws a
    frame every v_freq epochs and after the last."""
    run = run or runner.detached()
    d_loss = []
    g_loss = []
    for epoch in run.range(epochs):
        X, y = sample_data_and_gen(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, True)   # Keras 3 reads this when D's step is (re)traced
        d_loss.append(D.train_on_batch(X, y))

        X, y = sample_noise(G, n_samples=n_samples, noise_dim=noise_dim, rng=rng)
        set_trainability(D, False)  # and this when the chained step is: only G learns
        g_loss.append(GAN.train_on_batch(X, y))
        run.log(step=epoch, g_loss=g_loss[-1], d_loss=d_loss[-1])
        if verbose and (epoch + 1) % v_freq == 0:
            run.print("Epoch #{}: Generative Loss: {}, Discriminative Loss: {}".format(
                epoch + 1, g_loss[-1], d_loss[-1]))
        if frame and ((epoch + 1) % v_freq == 0 or epoch + 1 == epochs):
            frame(epoch + 1)
    return d_loss, g_loss


# ---------------------------------------------------------------------------------------
# The post's notebook: the models, pretrain, train, its figures; with the run's services.

def build_models(noise_dim, G=None, D=None):
    """The post's Inputs and models; G and D may be given (loaded), the chain is rebuilt."""
    if G is None:
        G_in = Input(shape=(noise_dim,))
        G, G_out = get_generative(G_in)
    if D is None:
        D_in = Input(shape=(50,))
        D, D_out = get_discriminative(D_in)
    GAN_in = Input(shape=(noise_dim,))
    GAN, GAN_out = make_gan(GAN_in, G, D)
    return GAN, G, D


def notebook(run, build_models=build_models, train=train, settings=None):
    """The post's notebook: the models, pretrain, train, then its figures, the models and
    the sine-fit metrics. A variant passes its own `build_models`, `train` and `settings`
    (config.json's; keras_models/sine_gan_stable.py)."""
    from keras_models import sine_gan_extras as extras  # it imports this module
    settings = settings or extras.hyper_parameters
    args = run.args
    GAN, G, D = build_models(args.noise_dim)
    rng = extras.training_rng(run.seed)
    samples = extras.evaluation_samples(run.seed, args.noise_dim)
    pretrain_loss = None

    # The checkpoint: the models as .keras files; the NumPy generator's and the Dropout
    # layer's random states (which .keras files leave out) in its state.
    def state():
        return {'pretrain_loss': pretrain_loss, 'rng_state': rng.bit_generator.state,
                'dropout_states': [s.numpy().tolist() for s in extras.dropout_states(D)]}

    def restore(folder, saved):
        nonlocal GAN, G, D, pretrain_loss
        GAN, G, D = build_models(args.noise_dim, keras.models.load_model(
            folder / 'generator.keras'), keras.models.load_model(
            folder / 'discriminator.keras'))
        for variable, value in zip(extras.dropout_states(D), saved['dropout_states']):
            variable.assign(value)
        rng.bit_generator.state = saved['rng_state']
        pretrain_loss = saved['pretrain_loss']

    resumed = run.start(args.epochs, save=lambda folder: extras.save_models(folder, G, D),
                        restore=restore, state=state, config=settings(args),
                        parameters=extras.trainable_parameters(G, D),
                        checkpoint_due=lambda done: done % args.v_freq == 0,
                        generate=lambda n, seed: G.predict_on_batch(  # the restored G
                            np.random.default_rng([seed, 3]).uniform(
                                0, 1, size=(n, args.noise_dim))))
    frame = None
    if run.files:
        frame = extras.frame_saver(run.run_dir, G, samples)
    if resumed is None:
        with quiet_runtime_noise(args.verbose):  # a tf.data notice under --deterministic
            pretrain_loss = pretrain(G, D, noise_dim=args.noise_dim,
                                     n_samples=args.n_samples, batch_size=args.batch_size,
                                     rng=rng, verbose=extras.fit_verbosity(run.files))
        if frame:
            frame(0)
    train(GAN, G, D, epochs=args.epochs, n_samples=args.n_samples,
          noise_dim=args.noise_dim, batch_size=args.batch_size, verbose=True,
          v_freq=args.v_freq, rng=rng, run=run, frame=frame)

    generated = G.predict_on_batch(samples['metric_noise'])
    metrics = dict(sine_curve_metrics(generated, samples['metric_real'], X_VALS,
                                      **extras.DATA_FAMILY),
                   pretrain_loss=pretrain_loss, final_g_loss=run.last['g_loss'],
                   final_d_loss=run.last['d_loss'], epochs=args.epochs)
    if run.files:
        extras.save_figures(run.run_dir, G, samples)
        extras.save_models(run.run_dir, G, D, final=True)
    return metrics
