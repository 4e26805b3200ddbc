"""The student-release leak detector: solution tokens visible in check cells."""

import pytest

from course_utils import _leaks, workbook

SOLUTION = """
log_r = np.log(weights) + multivariate_normal.logpdf(X, means[k], covariances[k])  # the E-step
return log_r - logsumexp(log_r, axis=1, keepdims=True)
"""


def test_tokens_ignore_comments_whitespace_and_strings():
    tokens, literals = _leaks.code_tokens("y = f( x ,  2.5e-3 )  # a comment\nprint('hello world')")
    assert tokens == ["y", "=", "f", "(", "x", ",", "2.5e-3", ")", "print", "(", ")"]
    assert literals == ["'hello world'"]


def test_string_tokens_split_like_code():
    assert _leaks.string_tokens('"use np.log(x).sum(axis=1)"') == [
        "use", "np", ".", "log", "(", "x", ")", ".", "sum", "(", "axis", "=", "1", ")"]


def test_longest_common_run_against_brute_force():
    a = list("abcdefgxyzabcd")
    b = list("zzabcdexyzab")
    brute = max((k for i in range(len(a)) for j in range(len(b)) for k in range(1, min(len(a) - i, len(b) - j) + 1)
                 if a[i:i + k] == b[j:j + k]), default=0)
    length, start = _leaks.longest_common_run(a, b)
    assert length == brute == 5
    assert a[start:start + length] == list("abcde")


def test_reference_written_in_the_check_cell_is_a_leak():
    check = ("def reference(X, weights, means, covariances):\n"
             "    log_r = np.log(weights) + multivariate_normal.logpdf(X, means[k], covariances[k])\n"
             "    return log_r\n"
             "cu.exercises.check(my_e_step, reference, cases)\n")
    leaks = _leaks.find_leaks({"ex1": SOLUTION}, {"ex1-check": check})
    assert len(leaks) == 1
    assert leaks[0].exercise == "ex1" and leaks[0].check_cell == "ex1-check"
    assert leaks[0].length > 10
    assert "multivariate_normal . logpdf" in leaks[0].fragment
    assert "ex1" in str(leaks[0]) and "ex1-check" in str(leaks[0])


def test_hint_that_quotes_the_code_is_a_leak():
    check = ('cu.exercises.check(my_e_step, cu.mixtures.e_step, cases,\n'
             '                    hint="write log_r = np.log(weights) + multivariate_normal.logpdf(X, means[k], '
             'covariances[k]) and normalise")\n')
    leaks = _leaks.find_leaks({"ex1": SOLUTION}, {"ex1-check": check})
    assert len(leaks) == 1 and leaks[0].length > 10


def test_a_hint_that_teaches_the_idea_is_not_a_leak():
    check = ('cu.exercises.check(my_e_step, cu.mixtures.e_step, cases,\n'
             '                    hint="work in log space: add the log weight to each log density, then '
             'normalise each row with logsumexp")\n')
    assert _leaks.find_leaks({"ex1": SOLUTION}, {"ex1-check": check}) == []


def test_no_run_crosses_a_string_or_reaches_eleven_by_accident():
    # ten shared tokens are allowed, eleven are not
    solution = "a = b + c * d - e / f"          # 11 tokens
    assert _leaks.find_leaks({"s": solution}, {"c": "a = b + c * d - e / g"}) == []   # 10 shared
    assert len(_leaks.find_leaks({"s": solution}, {"c": "z = 1\n" + solution})) == 1
    # the same tokens split by a string literal do not form one run
    assert _leaks.find_leaks({"s": solution}, {"c": "a = b + c * d 'x' - e / f"}) == []


def _notebook(solution_body, check_source):
    def cell(cell_type, source, nbgrader):
        return {"cell_type": cell_type, "metadata": {"nbgrader": nbgrader}, "source": source,
                "outputs": [], "execution_count": None, "id": nbgrader["grade_id"]}
    sol = cell("code", "def my_f(x):\n    ### BEGIN SOLUTION\n" + solution_body + "    ### END SOLUTION\n",
               {"grade_id": "ex1", "solution": True, "grade": False, "locked": False})
    chk = cell("code", check_source, {"grade_id": "ex1-check", "grade": True, "points": 1, "locked": True,
                                      "solution": False})
    return {"cells": [sol, chk], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_notebook_leaks_names_exercise_and_check_cell():
    body = "    y = np.sort(x)[::-1].cumsum() / np.arange(1, len(x) + 1)\n    return y\n"
    nb = _notebook(body, "ref = lambda x: np.sort(x)[::-1].cumsum() / np.arange(1, len(x) + 1)\n"
                         "cu.exercises.check(my_f, ref, [])\n")
    leaks = _leaks.notebook_leaks(nb, workbook.make_student_version(nb))
    assert [(leak.exercise, leak.check_cell) for leak in leaks] == [("ex1", "ex1-check")]
    clean = _notebook(body, "cu.exercises.check(my_f, cu.some_module.reference, [])\n")
    assert _leaks.notebook_leaks(clean, workbook.make_student_version(clean)) == []


def test_the_release_refuses_a_check_cell_that_shows_the_solution(tmp_path):
    import json

    body = "    y = np.sort(x)[::-1].cumsum() / np.arange(1, len(x) + 1)\n    return y\n"
    bad = _notebook(body, "cu.exercises.check(my_f, cu.exercises.ref, [],\n"
                          "    hint='y = np.sort( x )[::-1].cumsum()/np.arange(1,len(x)+1)')\n")  # respaced
    good = _notebook(body, "cu.exercises.check(my_f, cu.exercises.ref, [], hint='sort, then a running mean')\n")
    for name, nb in (("97-bad.ipynb", bad), ("96-good.ipynb", good)):
        (tmp_path / name).write_text(json.dumps(nb), encoding="utf-8")
    written = workbook.write_student_versions(tmp_path / "out", [tmp_path / "96-good.ipynb"])
    assert [p.name for p in written] == ["96-good.ipynb"]
    with pytest.raises(RuntimeError) as info:
        workbook.write_student_versions(tmp_path / "out", [tmp_path / "97-bad.ipynb"])
    message = str(info.value)
    assert "97-bad.ipynb" in message and "'ex1'" in message and "'ex1-check'" in message
    assert "np . sort ( x )" in message
