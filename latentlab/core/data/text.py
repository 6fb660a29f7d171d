"""Bag-of-words vectors for text corpora, TF-IDF weighting and LSA (truncated SVD).

Tokens: the text lower-cased, runs of letters (any script; digits and punctuation split words,
an inner apostrophe is kept and a final "'s" dropped), at least two letters long, minus a small
English stop-word list. ``stem=True`` adds Harman's "S" stemmer (plural endings only: "ies" →
"y", "es" → "e", "s" → ""), light enough never to merge unrelated words. The vocabulary is the
``max_words`` most frequent tokens (ties alphabetical); each document becomes its token counts
over that vocabulary divided by their total, and a document with no vocabulary word (empty,
or only stop words) is kept as a row of zeros, so rows and texts stay aligned.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from latentlab.core.data.dataset import Dataset

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_PIECE = 1 << 20
# A word list reads best as prose.
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each either else etc even ever every few for from further get gets got had
hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself
his how how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's like
made make many may me might more most much must mustn't my myself neither no nor not now of off
often on once one only or other others otherwise ought our ours ourselves out over own per quite
rather really said same say says shall shan't she she'd she'll she's should shouldn't since so
some still such than that that's the their theirs them themselves then there there's these they
they'd they'll they're they've this those though through thus to too under until up upon us very
via was wasn't we we'd we'll we're we've were weren't what what's when when's where where's
whether which while who who's whom whose why why's will with within without won't would wouldn't
yet you you'd you'll you're you've your yours yourself yourselves
""".split())  # noqa: SIM905


def s_stem(word: str) -> str:
    """Harman's S stemmer: strips English plural endings only."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def _words(text: str, stem: bool) -> list[str]:
    words = []
    for token in _TOKEN.findall(text.lower().replace("\u2019", "'")):
        if token.endswith("'s"):
            token = token[:-2]
        if len(token) < 2 or token in STOP_WORDS:
            continue
        words.append(s_stem(token) if stem else token)
    return words


def _pieces(text: str) -> Iterator[str]:
    """``text`` in pieces of at most about a million characters, cut at spaces or line ends
    (no word spans one), so that a huge document never becomes one list of all its words."""
    start = 0
    while len(text) - start > _PIECE:
        end = start + _PIECE
        cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        end = cut + 1 if cut > start else end
        yield text[start:end]
        start = end
    yield text[start:] if start else text


def tokenize(text: str, stem: bool = False) -> list[str]:
    """The words of ``text`` that count (see the module docstring)."""
    if len(text) <= _PIECE:
        return _words(text, stem)
    return [word for piece in _pieces(text) for word in _words(piece, stem)]


def tokenize_each(texts: Iterable[str], stem: bool = False) -> Iterator[list[str]]:
    """:func:`tokenize` of each text, lazily, with one string object per distinct word across
    them all: a corpus's token lists then cost a pointer a word, not a string a word (about
    eight bytes instead of sixty)."""
    canonical: dict[str, str] = {}
    for text in texts:
        yield [canonical.setdefault(word, word) for piece in _pieces(text)
               for word in _words(piece, stem)]


def build_vocabulary(token_lists: Iterable[Sequence[str]], max_words: int) -> tuple[str, ...]:
    """The ``max_words`` most frequent tokens, most frequent first (ties alphabetical)."""
    counts: Counter[str] = Counter()
    for tokens in token_lists:
        counts.update(tokens)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(word for word, _ in ranked[:max_words])


def count_matrix(token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str]) -> np.ndarray:
    """N×V float32 token counts over ``vocabulary`` (words outside it are dropped)."""
    index = {word: i for i, word in enumerate(vocabulary)}
    counts = np.zeros((len(token_lists), len(vocabulary)), dtype=np.float32)
    for row, tokens in enumerate(token_lists):
        # A huge document is counted a piece at a time: no list of ids as long as the text.
        for start in range(0, len(tokens), _PIECE):
            piece = tokens if len(tokens) <= _PIECE else tokens[start:start + _PIECE]
            ids = [index[t] for t in piece if t in index]
            if ids:
                counts[row] += np.bincount(ids, minlength=len(vocabulary))
    return counts


def word_probabilities(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its total, in place; rows of zeros stay zeros."""
    totals = counts.sum(axis=1, keepdims=True)
    np.divide(counts, totals, out=counts, where=totals > 0)
    return counts


def bag_of_words(texts: Sequence[str], max_words: int = 2000,
                 stem: bool = False) -> tuple[np.ndarray, tuple[str, ...]]:
    """N×V word probabilities and the vocabulary (V ≤ ``max_words``)."""
    if max_words < 1:
        raise ValueError(f"max_words must be at least 1, not {max_words}.")
    token_lists = list(tokenize_each(texts, stem))
    vocabulary = build_vocabulary(token_lists, max_words)
    return word_probabilities(count_matrix(token_lists, vocabulary)), vocabulary


def _as_matrix(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(len(x), -1) if x.ndim != 2 else x


def idf_weights(x: np.ndarray, smooth: bool = True) -> np.ndarray:
    """Inverse document frequencies of the words of N×V (or N×1×1×V) vectors, as float32 V.

    idf = ln((1 + N) / (1 + df)) + 1 (``smooth``, as scikit-learn) or ln(N / df) + 1, with df the
    number of documents holding the word.
    """
    x = _as_matrix(x)
    n = len(x)
    df = np.count_nonzero(x, axis=0).astype(np.float64)
    numerator, denominator = ((1.0 + n), (1.0 + df)) if smooth else (n, np.maximum(df, 1.0))
    return (np.log(numerator / denominator) + 1.0).astype(np.float32)


def tfidf(x: np.ndarray, smooth: bool = True, idf: np.ndarray | None = None) -> np.ndarray:
    """TF-IDF of N×V (or N×1×1×V) counts or word probabilities, each row scaled to unit length.

    ``idf`` defaults to :func:`idf_weights` of ``x`` itself; pass the weights of a fitted corpus
    to weigh other documents alike. Rows of zeros stay zeros. Returns float32 N×V.
    """
    x = _as_matrix(x)
    weights = idf_weights(x, smooth) if idf is None else np.asarray(idf, np.float32)
    weighted = x.astype(np.float32) * weights
    norms = np.linalg.norm(weighted, axis=1, keepdims=True)
    np.divide(weighted, norms, out=weighted, where=norms > 0)
    return weighted


def top_words(weights: np.ndarray, vocabulary: Sequence[str],
              k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` heaviest words of one vector over ``vocabulary``, with their share of the
    positive total (a decoded distribution need not sum to one); empty when nothing is positive.
    """
    w = np.clip(np.nan_to_num(np.asarray(weights, np.float64).ravel()), 0.0, None)
    total = w.sum()
    if total <= 0:
        return []
    k = min(k, int(np.count_nonzero(w)))
    order = np.argsort(-w, kind="stable")[:k]
    return [(vocabulary[i], float(w[i] / total)) for i in order]


class LSA:
    """Latent semantic analysis: a truncated SVD of (usually TF-IDF) document vectors.

    Not centred, unlike PCA, so sparse document vectors keep their meaning. Small matrices get
    an exact SVD; larger ones a seeded randomised SVD (Halko, Martinsson and Tropp, 2011).
    Component signs are fixed (largest entry positive) so results do not flip between runs.
    """

    def __init__(self, n_components: int = 2, *, seed: int = 0, n_iter: int = 5,
                 oversample: int = 10) -> None:
        if n_components < 1:
            raise ValueError(f"n_components must be at least 1, not {n_components}.")
        self.n_components = n_components
        self.seed = seed
        self.n_iter = n_iter
        self.oversample = oversample
        self.components_: np.ndarray | None = None
        self.singular_values_: np.ndarray | None = None
        self.explained_variance_ratio_: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> LSA:
        a = _as_matrix(x).astype(np.float64)
        k = self.n_components
        if k > min(a.shape):
            raise ValueError(f"n_components={k} exceeds the matrix's smaller side {min(a.shape)}.")
        if min(a.shape) <= 500:
            _, s, vt = np.linalg.svd(a, full_matrices=False)
        else:
            s, vt = self._randomised(a, k)
        vt, s = vt[:k], s[:k]
        rows = np.arange(k)
        signs = np.sign(vt[rows, np.abs(vt).argmax(axis=1)])
        vt *= np.where(signs == 0, 1.0, signs)[:, None]
        self.components_ = vt.astype(np.float32)
        self.singular_values_ = s
        total = a.var(axis=0).sum()
        explained = (a @ vt.T).var(axis=0)
        self.explained_variance_ratio_ = explained / total if total > 0 else explained * 0.0
        return self

    def _randomised(self, a: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        width = min(k + self.oversample, min(a.shape))
        q, _ = np.linalg.qr(a @ rng.standard_normal((a.shape[1], width)))
        for _ in range(self.n_iter):
            z, _ = np.linalg.qr(a.T @ q)
            q, _ = np.linalg.qr(a @ z)
        _, s, vt = np.linalg.svd(q.T @ a, full_matrices=False)
        return s, vt

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.components_ is None:
            raise RuntimeError("LSA.transform called before fit.")
        return (_as_matrix(x).astype(np.float32) @ self.components_.T).astype(np.float32)

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)


def document_snippet(dataset: Dataset, item: int, max_lines: int = 4, max_chars: int = 280) -> str:
    """The first few non-empty lines of a document (or its top words, without the text)."""
    if dataset.documents is None:
        assert dataset.vocabulary is not None
        words = top_words(dataset.x[item], dataset.vocabulary, 8)
        return "Top words: " + ", ".join(w for w, _ in words) if words else "(no known words)"
    lines = [line.strip() for line in dataset.documents[item].splitlines() if line.strip()]
    snippet = "\n".join(lines[:max_lines])
    if len(snippet) > max_chars or len(lines) > max_lines:
        snippet = snippet[:max_chars].rstrip() + " …"
    return snippet or "(empty document)"
