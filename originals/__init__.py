"""Reference renditions of the nine original programs, in their own frameworks.

Each module follows its seed document's code, in its order and with its names, and runs it
with the semantics of the framework version the document used (../shared/SPEC.md, "Semantics
of the versions"): PyTorch for S2, S4 and S5, Keras 2 through `tf-keras` for S3 and S9, the
seed's graph code under `tf.compat.v1` for S1 and S6-S8. A module's docstring lists, one line
each, what had to change for the code to run today and which old behaviour it emulates.

They are not the ports: they exist so that `sidebyside` can run each port beside
its original from the same start and show that they compute the same numbers. They need the
optional extra `.[originals]` (torch, tf-keras); nothing in the ports imports them.
"""
