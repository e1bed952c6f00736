"""Word2vec skip-gram with negative sampling: logistic loss on centre/context dot products."""

import autograd.numpy as np

WRT = (0,)


def log_sigmoid(x):
    return -np.logaddexp(0, -x)


def objective(embeddings, centre_words, context_words, negative_words):
    """Negative sampled log-likelihood; embeddings holds the input and output tables."""
    centre = embeddings['input'][centre_words]
    context = embeddings['output'][context_words]
    negatives = embeddings['output'][negative_words]
    positive_scores = np.sum(centre * context, axis=1)
    negative_scores = np.einsum('bd,bkd->bk', centre, negatives)
    loss = -np.sum(log_sigmoid(positive_scores)) - np.sum(log_sigmoid(-negative_scores))
    return loss / len(centre_words)


def inputs(rs):
    vocab_size, dim, batch, num_negatives = 20, 6, 8, 4
    embeddings = {'input': 0.3 * rs.randn(vocab_size, dim),
                  'output': 0.3 * rs.randn(vocab_size, dim)}
    centre_words = rs.randint(0, vocab_size, size=batch)
    context_words = rs.randint(0, vocab_size, size=batch)
    negative_words = rs.randint(0, vocab_size, size=(batch, num_negatives))
    return embeddings, centre_words, context_words, negative_words
