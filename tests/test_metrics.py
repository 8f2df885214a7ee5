import math

import pytest

from rlhf.metrics import (
    auroc,
    expected_calibration_error,
    mean_margin,
    pairwise_accuracy,
    precision,
    recall,
    repeated_ngram_share,
)


def test_pairwise_accuracy_and_margin():
    assert pairwise_accuracy([2.8, 1.0, 0.0], [0.5, 1.0, 1.0]) == pytest.approx(1 / 3)  # a tie is not a win
    assert mean_margin([2.8, 1.0], [0.5, 2.0]) == pytest.approx((2.3 - 1.0) / 2)
    assert math.isnan(pairwise_accuracy([], []))


def test_recall_and_precision():
    labels, predicted = [1, 1, 1, 0, 0], [1, 0, 1, 1, 0]
    assert recall(labels, predicted) == pytest.approx(2 / 3)
    assert precision(labels, predicted) == pytest.approx(2 / 3)
    assert math.isnan(recall([0, 0], [1, 0]))


def test_auroc_by_hand():
    assert auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)  # 3 of 4 pos/neg pairs ordered
    assert auroc([1, 0], [0.5, 0.5]) == pytest.approx(0.5)  # ties count half
    assert auroc([0, 1, 1], [0.9, 0.1, 0.2]) == 0.0
    assert math.isnan(auroc([1, 1], [0.2, 0.3]))


def test_expected_calibration_error_by_hand():
    # bin 0.9-1.0: two predictions with confidence 0.9, one right -> |0.5 - 0.9| * 2/4
    # bin 0.6-0.7: two with confidence 0.6, both right          -> |1.0 - 0.6| * 2/4
    labels = [1, 0, 1, 0]
    probs = [0.9, 0.9, 0.6, 0.4]
    assert expected_calibration_error(labels, probs) == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == pytest.approx(0.0)


def test_repeated_ngram_share():
    assert repeated_ngram_share("Rest, drink fluids and call us if it gets worse.") == 0.0
    # 8 words: 5 four-grams, 3 distinct (the 4th and 5th repeat the 1st and 2nd)
    assert repeated_ngram_share("Call 911 now. Call 911 now. Call 911") == pytest.approx(1 - 3 / 5)
    assert repeated_ngram_share("Too short") == 0.0
