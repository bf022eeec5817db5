"""Reference timing for `deno task bench:forest`: scikit-learn's RandomForestRegressor on the same CSV
and the same folds as our forest. Only the benchmark runs this; the product has no Python.

usage: sklearn_ref.py CSV ROWS FOLDS N_JOBS
Prints one JSON object: fit seconds (wall and CPU) and predict rows/s per fold, R² per fold, peak RSS in MB.
"""
import json
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import r2_score


def main() -> None:
    path, rows, folds, n_jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    data = np.loadtxt(path, delimiter=",", skiprows=1, max_rows=rows)
    x, y = data[:, :-1], data[:, -1]
    # Fold of row i is i % 5 (rows are i.i.d. draws, so this is as good as a shuffled KFold).
    fold_of = np.arange(rows) % 5
    out = {"fit_s": [], "fit_cpu_s": [], "predict_rows_per_s": [], "r2": []}
    for k in range(folds):
        train, test = fold_of != k, fold_of == k
        model = RandomForestRegressor(
            n_estimators=100, max_features=1.0, min_samples_leaf=1, n_jobs=n_jobs, random_state=k
        )
        t, cpu = time.perf_counter(), time.process_time()  # process_time: every thread of the process
        model.fit(x[train], y[train])
        out["fit_s"].append(time.perf_counter() - t)
        out["fit_cpu_s"].append(time.process_time() - cpu)
        t = time.perf_counter()
        pred = model.predict(x[test])
        out["predict_rows_per_s"].append(int(test.sum()) / (time.perf_counter() - t))
        out["r2"].append(float(r2_score(y[test], pred)))
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
