"""Linear programs through HiGHS's own Python interface (highspy), the one way the rules solve one.

highspy takes ranged rows (lo <= A x <= hi) as they are, lets go of the GIL while it solves (so
the bands of a district are solved side by side in threads) and loads in a few milliseconds
(scipy.optimize, which wraps the same solver, took 0.3-0.5 s of every command's start).
"""
from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np
from scipy.sparse import csc_matrix


def _banner_to_nowhere() -> None:
    """HiGHS writes its banner ("Running HiGHS ...") straight to the process's standard output the
    first time a solver object is made, before any option can silence it, and ``manage.py
    evaluate --json -`` writes the evaluation there. So the first object is made here, on import
    (one thread, before any solve), with file descriptor 1 pointed at /dev/null; later ones are
    silent, in this process and in the worker processes forked from it."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no standard output at all: nothing to keep clean
        highspy.Highs()
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
            ctypes.CDLL(None).fflush(None)  # anything HiGHS left in C's buffer goes to /dev/null too
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_banner_to_nowhere()


@dataclass(frozen=True)
class Solved:
    """What HiGHS answered: 0 optimal (with ``x``), 2 infeasible, 1 anything else (``message``)."""

    status: int
    message: str
    x: np.ndarray | None = None


def solve(cost: np.ndarray, a: csc_matrix, x_lo: np.ndarray, x_hi: np.ndarray, row_lo: np.ndarray,
          row_hi: np.ndarray, *, solver: str = "choose", presolve: bool = True, integral: bool = False) -> Solved:
    """Minimize ``cost @ x`` subject to ``row_lo <= a @ x <= row_hi`` and ``x_lo <= x <= x_hi``
    (``integral``: every x whole); ``solver`` and ``presolve`` are HiGHS's options of those names."""
    n_rows, n_cols = a.shape
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_cols, n_rows
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, x_lo, x_hi
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    if integral:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", solver)
    h.setOptionValue("presolve", "on" if presolve else "off")
    h.passModel(lp)
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return Solved(2 if status == highspy.HighsModelStatus.kInfeasible else 1, h.modelStatusToString(status))
    return Solved(0, "optimal", np.asarray(h.getSolution().col_value))
