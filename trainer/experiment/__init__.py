"""Ratio experiments: train on real + composite + GAN images mixed at set ratios, evaluate each on
one real test set, and relate the score to f = D_syn / D_orig (number of synthetic images over
number of real images in the training set) with a fitted logistic curve.
"""
