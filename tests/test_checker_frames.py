"""The checker's error messages point at the student's own line, not at a frame inside NumPy or torch."""

import numpy as np

from course_utils import _checker, exercises

A = np.array([[0.9, 0.1], [0.2, 0.8]])


def column_sampler(T, rng):
    """A common mistake: a column of A (it does not sum to 1) passed to rng.choice, which raises inside NumPy."""
    return rng.choice(2, size=T, p=A[:, 0])


def reference_sampler(T, rng):
    return rng.choice(2, size=T, p=A[0])


def test_error_inside_numpy_points_at_the_students_line():
    try:
        column_sampler(5, np.random.default_rng(0))
    except ValueError as exc:
        where = _checker._student_frame(exc)
    assert "test_checker_frames.py" in where and "p=A[:, 0]" in where, where
    assert ".pyx" not in where and "numpy" not in where.split("`")[0], where


def test_error_inside_torch_points_at_the_students_line():
    import torch

    def negative_scale():
        return torch.distributions.Normal(0.0, -1.0, validate_args=True)  # raises in torch's Python code

    try:
        negative_scale()
    except ValueError as exc:
        where = _checker._student_frame(exc)
    assert "Normal(0.0, -1.0, validate_args=True)" in where and "distribution.py" not in where, where


def test_check_sampler_message_names_the_students_line(capsys):
    cases = [exercises.case(5, np.random.default_rng(0), label="five days")]
    fallback = exercises.check_sampler(column_sampler, reference_sampler, cases, lambda T, rng, sample: None)
    out = capsys.readouterr().out
    assert fallback is not column_sampler  # the notebook goes on with the reference
    assert "raised ValueError" in out and "p=A[:, 0]" in out and "_generator.pyx" not in out, out


def test_no_student_frame_gives_an_empty_note():
    try:
        np.random.default_rng(0).choice(2, p=[0.5, 0.6])
    except ValueError as exc:
        exc.__traceback__ = exc.__traceback__.tb_next  # drop this test's own frame: only NumPy's is left
        assert _checker._student_frame(exc) == ""


def test_check_sampler_rejects_a_sampler_that_ignores_its_rng(capsys):
    import numpy as np

    from course_utils import exercises

    def reference(mu, sigma2, n, rng):
        return mu + np.sqrt(sigma2) * rng.standard_normal(n)

    def own_generator(mu, sigma2, n, rng):
        return reference(mu, sigma2, n, np.random.default_rng(1))  # ignores rng, same sample every call

    cases = [exercises.case(1.0, 2.0, 5000, np.random.default_rng(0))]
    out = exercises.check_sampler(own_generator, reference, cases, exercises.gaussian_sample_problem)
    assert out is not own_generator and "different states gave the same sample" in capsys.readouterr().out
    def mine(mu, sigma2, n, rng):
        return rng.normal(mu, np.sqrt(sigma2), size=n)

    assert exercises.check_sampler(mine, reference, cases, exercises.gaussian_sample_problem) is mine
