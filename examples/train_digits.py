"""Train a small network on scikit-learn's digits with an optc optimizer in a PyTorch loop.

    python examples/train_digits.py                      # AdamW, LLVM backend
    python examples/train_digits.py --optimizer lamb --lr 1e-2
    python examples/train_digits.py --optimizer my_rule.opt --backend numpy

`optc.torch.Optimizer` stands in for a `torch.optim` optimizer: the same arguments in torch's
spelling, a torch LR scheduler on top, `zero_grad`/`step` as usual. The script prints the
training loss per epoch as a curve, and the accuracy on held-out images.
"""

from __future__ import annotations

import argparse
import time

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import optc.torch


def data(seed: int):
    """Standardized 8×8 digit images split 75/25 into training and test tensors."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    mean, std = X_train.mean(0), X_train.std(0) + 1e-8

    def standardized(a):
        return torch.tensor((a - mean) / std, dtype=torch.float32)

    return standardized(X_train), torch.tensor(y_train), standardized(X_test), torch.tensor(y_test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--optimizer", default="adamw", help="a stdlib optimizer or a .opt file (default: adamw)")
    parser.add_argument("--backend", default="llvm", help="optc backend: llvm or numpy (default: llvm)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # tensors this small run fastest on one thread
    X_train, y_train, X_test, y_test = data(args.seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.Tanh(), torch.nn.Linear(64, 10))
    optimizer = optc.torch.Optimizer(model.parameters(), args.optimizer, backend=args.backend, lr=args.lr)
    steps_per_epoch = -(-len(X_train) // args.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs * steps_per_epoch)
    print(optimizer)

    start = time.perf_counter()
    curve = []
    for epoch in range(args.epochs):
        order = torch.randperm(len(X_train))
        total = 0.0
        for i in range(0, len(X_train), args.batch_size):
            batch = order[i : i + args.batch_size]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(batch)
        curve.append(total / len(X_train))
    seconds = time.perf_counter() - start

    print(f"\ntraining loss per epoch ({args.optimizer}, {args.backend} backend):")
    for epoch, loss in enumerate(curve, 1):
        print(f"  epoch {epoch:3d}  {loss:8.5f}  {'#' * max(1, round(50 * loss / curve[0]))}")
    with torch.no_grad():
        accuracy = (model(X_test).argmax(1) == y_test).float().mean().item()
    print(f"\ntest accuracy: {accuracy:.2%} on {len(X_test)} images "
          f"({args.epochs * steps_per_epoch} steps in {seconds:.2f} s)")


if __name__ == "__main__":
    main()
