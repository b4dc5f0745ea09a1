"""TF 1's `tensorflow.examples.tutorials.mnist.input_data`, which wiseodd's code imports (S6-S8).

TensorFlow 2 removed it. This is its reader as TF 1.x shipped it
(`tensorflow/contrib/learn/python/learn/datasets/mnist.py`): `read_data_sets(train_dir,
one_hot, validation_size=5000)` holds out the first 5,000 training images as the validation
set, and a `DataSet` scales the images to 784 float32 values in [0, 1] (`* 1.0 / 255.0`) and
hands out `next_batch(batch_size)`: shuffled with the global `numpy.random.shuffle` before the
first batch and at the end of every epoch, the last batch of an epoch completed from the next
one. What had to change, one line each:

- Nothing is downloaded: `train_dir` must hold the data, as `mnist.npz` (Keras's file) or the
  four IDX files (`train-images-idx3-ubyte[.gz]`, ...); a missing folder or file raises
  FileNotFoundError. Default: Keras's cache `~/.keras/datasets` (or `$KERAS_HOME/datasets`).
- `fake_data` and the `dtype=uint8` option, which wiseodd's code never uses, are left out.

It imports nothing of the ports; `sidebyside` feeds it the port's images as arrays.
"""
import gzip
import os
import types

import numpy


def dense_to_one_hot(labels_dense, num_classes=10):
    """Convert class labels from scalars to one-hot vectors."""
    num_labels = labels_dense.shape[0]
    index_offset = numpy.arange(num_labels) * num_classes
    labels_one_hot = numpy.zeros((num_labels, num_classes))
    labels_one_hot.flat[index_offset + labels_dense.ravel()] = 1
    return labels_one_hot


class DataSet(object):
    def __init__(self, images, labels, one_hot=False, reshape=True):
        """images: uint8 (N, 28, 28) or (N, 28, 28, 1); labels: (N,) class numbers."""
        assert images.shape[0] == labels.shape[0], (
            'images.shape: %s labels.shape: %s' % (images.shape, labels.shape))
        self._num_examples = images.shape[0]
        if reshape:
            images = images.reshape(images.shape[0], images.shape[1] * images.shape[2])
        # Convert from [0, 255] -> [0.0, 1.0].
        images = images.astype(numpy.float32)
        images = numpy.multiply(images, 1.0 / 255.0)
        self._images = images
        self._labels = dense_to_one_hot(labels) if one_hot else labels
        self._epochs_completed = 0
        self._index_in_epoch = 0

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    @property
    def epochs_completed(self):
        return self._epochs_completed

    def next_batch(self, batch_size, shuffle=True):
        """Return the next `batch_size` examples from this data set."""
        start = self._index_in_epoch
        # Shuffle for the first epoch
        if self._epochs_completed == 0 and start == 0 and shuffle:
            perm0 = numpy.arange(self._num_examples)
            numpy.random.shuffle(perm0)
            self._images = self.images[perm0]
            self._labels = self.labels[perm0]
        # Go to the next epoch
        if start + batch_size > self._num_examples:
            # Finished epoch
            self._epochs_completed += 1
            # Get the rest examples in this epoch
            rest_num_examples = self._num_examples - start
            images_rest_part = self._images[start:self._num_examples]
            labels_rest_part = self._labels[start:self._num_examples]
            # Shuffle the data
            if shuffle:
                perm = numpy.arange(self._num_examples)
                numpy.random.shuffle(perm)
                self._images = self.images[perm]
                self._labels = self.labels[perm]
            # Start next epoch
            start = 0
            self._index_in_epoch = batch_size - rest_num_examples
            end = self._index_in_epoch
            images_new_part = self._images[start:end]
            labels_new_part = self._labels[start:end]
            return (numpy.concatenate((images_rest_part, images_new_part), axis=0),
                    numpy.concatenate((labels_rest_part, labels_new_part), axis=0))
        else:
            self._index_in_epoch += batch_size
            end = self._index_in_epoch
            return self._images[start:end], self._labels[start:end]


def _idx(path):
    """The array of an IDX file (gzipped or not)."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return numpy.frombuffer(data, numpy.uint8, offset=4 + 4 * dims).reshape(shape)


def _arrays(train_dir):
    """(train images, train labels, test images, test labels) from train_dir."""
    npz = os.path.join(train_dir, 'mnist.npz')
    if os.path.isfile(npz):
        with numpy.load(npz) as f:
            return f['x_train'], f['y_train'], f['x_test'], f['y_test']
    found = []
    for name in ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
                 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']:
        for path in [os.path.join(train_dir, name), os.path.join(train_dir, name + '.gz')]:
            if os.path.isfile(path):
                found.append(_idx(path))
                break
        else:
            raise FileNotFoundError('%s: no mnist.npz and no %s[.gz]' % (train_dir, name))
    return tuple(found)


def default_dir():
    home = os.environ.get('KERAS_HOME') or os.path.join(os.path.expanduser('~'), '.keras')
    return os.path.join(home, 'datasets')


def read_data_sets(train_dir=None, one_hot=False, validation_size=5000):
    train_images, train_labels, test_images, test_labels = _arrays(train_dir or default_dir())
    validation = DataSet(train_images[:validation_size], train_labels[:validation_size],
                         one_hot)
    train = DataSet(train_images[validation_size:], train_labels[validation_size:], one_hot)
    test = DataSet(test_images, test_labels, one_hot)
    return types.SimpleNamespace(train=train, validation=validation, test=test)
