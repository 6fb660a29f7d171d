"""The text baseline map: LSA of TF-IDF with an inverse to word weights, and top words."""

from __future__ import annotations

import numpy as np

from latentlab.core.data.text import bag_of_words, idf_weights, tfidf, top_words
from latentlab.core.maps.linear import TfidfLSA

TEXTS = ["rocket orbit moon rocket", "orbit moon launch", "butter flour oven", "oven bake flour",
         "rocket launch moon", "flour butter bake"]


def test_tfidf_with_given_idf_weighs_new_documents_like_the_corpus() -> None:
    x, _ = bag_of_words(TEXTS)
    idf = idf_weights(x)
    np.testing.assert_array_equal(tfidf(x, idf=idf), tfidf(x))
    one = tfidf(x[:1], idf=idf)  # alone, its own idf would differ; with the corpus's it does not
    np.testing.assert_allclose(one, tfidf(x)[:1], rtol=1e-6)


def test_tfidf_lsa_separates_topics_and_inverts_to_word_weights() -> None:
    x, vocabulary = bag_of_words(TEXTS)
    lsa = TfidfLSA(2).fit(x[:, None, None, :])
    coords = lsa.transform(x)
    assert coords.shape == (6, 2)
    space, cooking = coords[[0, 1, 4]].mean(0), coords[[2, 3, 5]].mean(0)
    assert np.linalg.norm(space - cooking) > 0.5
    words = lsa.inverse_transform(space)
    assert words.shape == (1, len(vocabulary)) and np.isclose(words.sum(), 1.0)
    assert (words >= 0).all()
    top = [w for w, _ in top_words(words[0], vocabulary, 3)]
    assert set(top) <= {"rocket", "orbit", "moon", "launch"}
    assert lsa.inverse_transform(np.zeros(2)).sum() == 0  # nothing positive: no words


def test_top_words_ranks_shares_of_the_positive_part() -> None:
    vocabulary = ("a", "b", "c", "d")
    words = top_words(np.array([0.1, -1.0, 0.3, 0.0]), vocabulary, 3)
    assert [w for w, _ in words] == ["c", "a"]  # negative and zero weights are no words
    np.testing.assert_allclose([share for _, share in words], [0.75, 0.25])
    assert top_words(np.zeros(4), vocabulary) == []
    assert top_words(np.array([1.0, 1.0, 2.0, 0.0]), vocabulary, 2) == [("c", 0.5), ("a", 0.25)]
