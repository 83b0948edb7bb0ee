"""Reproduce the course's published Adult income result on the shipped copy.

Why: the project notebook quotes fixed figures (test accuracy 0.8642, '>50K'
precision 0.7414 / recall 0.6459 / f1 0.6903, '<=50K' f1 0.9130 on 9,769 rows).
This script is the recipe behind them, run on `course.data.adult(offline=True)`,
so anyone can check that the offline copy gives the same numbers as OpenML's.

    python scripts/adult_reference_run.py            # the shipped copy
    python scripts/adult_reference_run.py --online   # try OpenML first
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from sklearn.compose import ColumnTransformer
from sklearn.metrics import accuracy_score, classification_report
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout
from course.data.adult import NUMERIC, adult  # noqa: E402


def prepared(offline: bool = True, device: torch.device | str = "cpu", verbose: bool = True):
    """The recipe's data: split with random_state=42, ColumnTransformer fitted on the training part.

    Returns (train_x, train_y, test_x, y_test): float32 tensors on ``device`` (train_y as a column)
    and the test labels as a NumPy array of 0/1.
    """
    frame = adult(offline=offline, verbose=verbose)
    X = frame.drop(columns="class")
    y = (frame["class"] == ">50K").astype(int)
    categorical = [c for c in X.columns if c not in NUMERIC]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    prep = ColumnTransformer([
        ("num", StandardScaler(), list(NUMERIC)),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
    ])  # fmt: skip
    train_x = torch.tensor(prep.fit_transform(X_train), dtype=torch.float32, device=device)
    test_x = torch.tensor(prep.transform(X_test), dtype=torch.float32, device=device)
    train_y = torch.tensor(y_train.to_numpy(), dtype=torch.float32, device=device).unsqueeze(1)
    return train_x, train_y, test_x, y_test.to_numpy()


def reference_model(n_features: int, device: torch.device | str = "cpu"):
    """IncomePredictor (input -> 32 ReLU -> 1 logit) after torch.manual_seed(110), and its Adam (lr 1e-3)."""
    torch.manual_seed(110)
    model = nn.Sequential(nn.Linear(n_features, 32), nn.ReLU(), nn.Linear(32, 1)).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=1e-3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--online", action="store_true", help="try OpenML first")
    args = parser.parse_args()

    train_x, train_y, test_x, y_test = prepared(offline=not args.online)
    print(f"features: {train_x.shape[1]}, train rows: {len(train_x):,}, test rows: {len(test_x):,}")

    model, optimizer = reference_model(train_x.shape[1])
    loader = DataLoader(TensorDataset(train_x, train_y), batch_size=64, shuffle=True)
    loss_fn = nn.BCEWithLogitsLoss()

    epoch_seconds = []
    for epoch in range(10):
        model.train()
        start, total = time.perf_counter(), 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        epoch_seconds.append(time.perf_counter() - start)
        print(f"epoch {epoch + 1:2d}  loss {total / len(train_x):.4f}  {epoch_seconds[-1]:.2f} s")

    model.eval()
    with torch.no_grad():
        predicted = (torch.sigmoid(model(test_x)) > 0.5).int().squeeze(1).numpy()
    print(f"accuracy {accuracy_score(y_test, predicted):.4f}")
    print(classification_report(y_test, predicted, target_names=["<=50K", ">50K"], digits=4))
    print(f"mean time per epoch: {sum(epoch_seconds) / len(epoch_seconds):.2f} s "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")  # fmt: skip


if __name__ == "__main__":
    main()
