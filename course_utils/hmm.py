"""Hidden Markov models from scratch: forward, backward, posteriors, Viterbi and Baum-Welch.

The inference algorithms work on a (T, N) matrix of log emission likelihoods
``log_emission[t, j] = log p(x_t | z_t = j)``, so every emission model shares them; an emission model
only has to say how to build that matrix (:func:`emission_log_likelihood`) and how to re-estimate its
parameters from posteriors (inside :func:`baum_welch`). Everything is in log space and float64:
``log 0 = -inf`` is allowed (structural zeros), NaN never is. The recursions run in compiled kernels
(``_hmm_kernels``); the equations are in each docstring. Conventions follow hmmlearn, so that the same
parameters give the same numbers as ``hmmlearn.hmm.CategoricalHMM`` and ``GaussianHMM(covariance_type="diag")``.

Two ways in, the same numbers:

- on log arrays, as the lectures write the recursions: :func:`forward`, :func:`backward`,
  :func:`posteriors`, :func:`expected_transitions`, :func:`viterbi`; :func:`log_inputs` builds the
  three arrays ``(log_startprob, log_transmat, log_emission)`` from parameters and observations;
- on a parameter object and observations (one or several sequences): :func:`score`,
  :func:`score_samples`, :func:`decode`, :func:`joint_log_prob`, :func:`sample_hmm`, :func:`baum_welch`,
  and the thin :class:`HMM` class.

The code lives in four private modules, re-exported here: ``_hmm_inference`` (log-space recursions),
``_hmm_params`` (parameter objects, emissions, inference from parameters), ``_hmm_learning``
(Baum-Welch) and ``_hmm_model`` (sampling and the ``HMM`` class).

Example
-------
>>> import numpy as np
>>> from course_utils import hmm
>>> params = hmm.CategoricalHMMParams([0.5, 0.5], [[0.7, 0.3], [0.3, 0.7]], [[0.9, 0.1], [0.2, 0.8]])
>>> log_prob, gamma = hmm.posteriors(*hmm.log_inputs([0, 0, 1, 0, 0], params))
>>> gamma[0].round(4)
array([0.8673, 0.1327])
>>> hmm.decode([0, 0, 1, 0, 0], params)[1]
array([0, 0, 1, 0, 0])
"""

from __future__ import annotations

from ._hmm_inference import backward, expected_transitions, forward, posteriors, viterbi
from ._hmm_learning import HMMFit, baum_welch
from ._hmm_model import HMM, sample_hmm
from ._hmm_params import (
    CategoricalHMMParams,
    GaussianHMMParams,
    decode,
    emission_log_likelihood,
    joint_log_prob,
    log_inputs,
    score,
    score_samples,
)

__all__ = ["forward", "backward", "posteriors", "expected_transitions", "viterbi", "CategoricalHMMParams",
           "GaussianHMMParams", "emission_log_likelihood", "log_inputs", "score", "score_samples", "decode",
           "joint_log_prob", "HMMFit", "baum_welch", "sample_hmm", "HMM"]
